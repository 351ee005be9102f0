using LstmNative.Cpu;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// Streaming inference: <see cref="CpuRnnSession.Reset()"/> then a fixed number of <see cref="CpuRnnSession.Step"/> calls, the
/// path a real-time caller uses (per-call overhead matters here, unlike in a whole-sequence run).
/// </summary>
internal sealed class StepWorkload : IGateWorkload
{
    private readonly CpuRnnSession _session;
    private readonly AlignedFloats _x;
    private readonly AlignedFloats _y;
    private readonly int _steps;
    private readonly int _batch;
    private readonly int _inputSize;

    public StepWorkload(CpuRnnModel model, int batch, int steps, int seed)
    {
        _steps = steps;
        _batch = batch;
        _inputSize = model.InputSize;
        _session = model.CreateSession(batch, 1, threads: 1);
        _x = SessionWorkload.RandomInput((long)steps * batch * model.InputSize, seed);
        _y = new AlignedFloats(batch * model.OutputSize);
    }

    public void Run()
    {
        _session.Reset();
        int stride = _batch * _inputSize;
        for (int t = 0; t < _steps; t++)
            _session.Step(_x.Span.Slice(t * stride, stride), _batch, _y.Span);
    }

    public void Dispose() => _session.Dispose();
}
