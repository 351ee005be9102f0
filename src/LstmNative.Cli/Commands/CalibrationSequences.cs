using LstmNative.Cpu;
using LstmNative.Formats;
using LstmNative.Model;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>--calibrate FILE.npy</c> of <c>run --precision int8-static</c>: static int8's "prepare". The float32 layers run over
/// the representative sequences in the file (<see cref="Int8Calibrator"/>) and the ranges they give fix each layer's
/// activation scales. Shared by the safetensors and the ONNX paths; each says how its layout becomes time-major.
/// </summary>
internal static class CalibrationSequences
{
    /// <summary>
    /// Reads <paramref name="file"/>, turns it time-major with <paramref name="timeMajor"/> (which throws a
    /// <see cref="CliException"/> naming the expected shape) and observes <paramref name="layers"/> over it.
    /// </summary>
    public static Int8Calibration Observe(IReadOnlyList<LayerWeights<float>> layers, FileInfo file,
        Func<NdArray, (float[] X, int Steps, int Batch)> timeMajor)
    {
        if (!file.Exists)
            throw new CliException($"--calibrate: file not found: {file.FullName}");
        var value = NpyReader.Read(file.FullName);
        if (value.DType is not (DType.Float32 or DType.Float64))
            throw new CliException($"--calibrate: expected float32, got {value.DType.ToString().ToLowerInvariant()}");
        var (xs, steps, batch) = timeMajor(value);
        if (steps == 0 || batch == 0)
            throw new CliException("--calibrate: the calibration input holds no sequence");
        using var calibrator = new Int8Calibrator(layers, batch, steps);
        try
        {
            calibrator.Observe(xs, steps, batch);
        }
        catch (ArgumentException e)
        {
            throw new CliException($"--calibrate: {e.Message}");
        }
        return calibrator.ToCalibration();
    }

    /// <summary><c>[a, b, inner]</c> as <c>[b, a, inner]</c> (batch-major sequences to time-major, and back).</summary>
    public static float[] SwapFirstTwo(float[] v, int a, int b, int inner)
    {
        var r = new float[v.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                Array.Copy(v, (i * b + j) * inner, r, (j * a + i) * inner, inner);
        return r;
    }
}
