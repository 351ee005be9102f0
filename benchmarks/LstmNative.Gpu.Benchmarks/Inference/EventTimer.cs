using System.Diagnostics;
using LstmNative.Cuda;

namespace LstmNative.Gpu.Benchmarks.Inference;

/// <summary>Medians of GPU time between two CUDA events around queued work; warm-up excluded, inputs rotated.</summary>
public sealed class EventTimer : IDisposable
{
    private readonly CudaEvent _start;
    private readonly CudaEvent _end;

    public EventTimer(CudaContext context)
    {
        _start = context.CreateEvent();
        _end = context.CreateEvent();
    }

    /// <summary>
    /// Times <paramref name="enqueue"/> on <paramref name="stream"/>: <paramref name="prepare"/>(i) rotates the input
    /// (outside the timed region), then start event, the work, end event, wait. Stops after <paramref name="maxIterations"/>
    /// samples, or once <paramref name="maxTime"/> has passed with at least <paramref name="minIterations"/>.
    /// </summary>
    public Sample Measure(CudaStream stream, Action<int> prepare, Action enqueue, int warmup, int minIterations, int maxIterations, TimeSpan maxTime)
    {
        for (int i = 0; i < warmup; i++)
        {
            prepare(i);
            enqueue();
            stream.Synchronize();
        }
        var samples = new List<double>(maxIterations);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < maxIterations; i++)
        {
            prepare(i);
            _start.Record(stream);
            enqueue();
            _end.Record(stream);
            _end.Synchronize();
            samples.Add(CudaEvent.ElapsedMilliseconds(_start, _end) * 1000.0);
            if (samples.Count >= minIterations && clock.Elapsed > maxTime)
                break;
        }
        return Sample.Of(samples);
    }

    public void Dispose()
    {
        _start.Dispose();
        _end.Dispose();
    }
}

/// <summary>Median and spread of a set of timings, µs.</summary>
public readonly record struct Sample(double Median, double P10, double P90, int Count)
{
    public static Sample Of(List<double> values)
    {
        if (values.Count == 0)
            return new Sample(double.NaN, double.NaN, double.NaN, 0);
        values.Sort();
        double At(double q) => values[Math.Min(values.Count - 1, (int)(q * (values.Count - 1) + 0.5))];
        return new Sample(At(0.5), At(0.1), At(0.9), values.Count);
    }
}
