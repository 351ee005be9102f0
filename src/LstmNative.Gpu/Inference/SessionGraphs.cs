using LstmNative.Cuda;
using LstmNative.Gpu.Device;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// How a <see cref="GpuRnnSession"/> puts one call on its queue: the first call of a shape runs directly, the second is
/// captured as a graph, later ones replay it (copies in, every layer, copies out: one launch). A capture that fails
/// is abandoned and the session launches directly from then on, saying why in <see cref="Failure"/>.
/// </summary>
internal sealed class SessionGraphs : IDisposable
{
    private readonly IInferenceBackend _backend;
    private readonly GpuInferenceOptions _options;
    private readonly SessionRecorder _recorder;
    private readonly IDeviceQueue _main;
    private readonly GraphCache<RunKey, IDeviceGraph> _graphs;
    private readonly HashSet<RunKey> _warmedUp = [];

    public SessionGraphs(IInferenceBackend backend, GpuInferenceOptions options, SessionRecorder recorder, IDeviceQueue main)
    {
        _backend = backend;
        _options = options;
        _recorder = recorder;
        _main = main;
        _graphs = new GraphCache<RunKey, IDeviceGraph>(options.MaxCachedGraphs);
    }

    /// <summary>Why graph capture was given up, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>Call shapes with a captured graph.</summary>
    public int Cached => _graphs.Count;

    /// <summary>Calls that replayed a cached graph.</summary>
    public long Hits => _graphs.Hits;

    /// <summary>Calls that had to capture (or could not use) a graph.</summary>
    public long Misses => _graphs.Misses;

    /// <summary>Queues one call of shape <paramref name="key"/>: replayed, captured, or launched directly.</summary>
    public void Enqueue(in RunKey key)
    {
        bool persistent = _recorder.UsesPersistent(key.Batch);
        bool capture = _options.UseGraphs && Failure is null && (!persistent || _backend.CanCapturePersistent(_options.Barrier));
        if (persistent)
            _backend.Lane.Enter(_main);
        try
        {
            if (capture && _graphs.TryGet(key, out var graph))
            {
                graph.Launch();
            }
            else if (capture && _warmedUp.Contains(key) && TryCapture(key, out graph))
            {
                graph.Launch();
            }
            else
            {
                // The first call of a shape runs directly: libraries finish their lazy set-up (cuBLAS workspaces,
                // heuristics) outside any capture; the second call captures.
                _recorder.Record(key);
                if (capture)
                    _warmedUp.Add(key);
            }
        }
        finally
        {
            if (persistent)
                _backend.Lane.Leave(_main);
        }
    }

    private bool TryCapture(in RunKey key, out IDeviceGraph graph)
    {
        try
        {
            _main.BeginCapture();
            _recorder.Record(key);
            graph = _main.EndCapture();
        }
        catch (Exception e) when (e is CudaException or CublasException or GraphCaptureException)
        {
            _main.AbandonCapture();
            Failure = $"graph capture of {key} failed, launching directly from now on: {e.Message}";
            graph = null!;
            return false;
        }
        _graphs.Add(key, graph);
        return true;
    }

    public void Dispose() => _graphs.Dispose();
}

/// <summary>A backend could not capture a graph (the session then launches directly).</summary>
internal sealed class GraphCaptureException(string message) : Exception(message);
