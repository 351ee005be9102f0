using LstmNative.Cpu;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// One forward pass of a whole sequence through an <see cref="CpuRnnSession"/> (the engine's zero-allocation inference path)
/// with fixed random input, full sequence lengths and zero initial states.
/// </summary>
internal sealed class SessionWorkload : IGateWorkload
{
    private readonly CpuRnnSession _session;
    private readonly AlignedFloats _x;
    private readonly AlignedFloats _y;
    private readonly int _steps;
    private readonly int _batch;

    public SessionWorkload(CpuRnnModel model, int batch, int steps, int threads, int seed)
    {
        _steps = steps;
        _batch = batch;
        _session = model.CreateSession(batch, steps, threads);
        _x = RandomInput((long)steps * batch * model.InputSize, seed);
        _y = new AlignedFloats((long)steps * model.OutputDirections * batch * model.OutputSize);
    }

    public void Run() => _session.Run(_x.Span, _steps, _batch, _y.Span);

    public void Dispose() => _session.Dispose();

    /// <summary>Uniform values in [-1, 1] from a seeded generator: the same input on every run and every machine.</summary>
    internal static AlignedFloats RandomInput(long length, int seed)
    {
        var random = new Random(seed);
        var x = new AlignedFloats(length);
        var span = x.Span;
        for (int i = 0; i < span.Length; i++)
            span[i] = (float)(random.NextDouble() * 2 - 1);
        return x;
    }
}
