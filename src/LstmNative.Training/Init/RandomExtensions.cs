namespace LstmNative.Training.Init;

/// <summary>Seeded sampling helpers over <see cref="Random"/>, so every initializer is reproducible from a seed.</summary>
public static class RandomExtensions
{
    /// <summary>A standard normal sample (Box-Muller; one uniform pair per sample keeps the stream simple to replay).</summary>
    public static double NextGaussian(this Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u1 = 1.0 - random.NextDouble(); // in (0, 1]: the log stays finite
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A uniform sample in [-bound, bound).</summary>
    public static double NextUniform(this Random random, double bound)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (random.NextDouble() * 2.0 - 1.0) * bound;
    }
}
