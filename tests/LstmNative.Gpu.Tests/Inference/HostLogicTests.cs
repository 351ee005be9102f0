using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LstmNative.Cuda;
using LstmNative.Cuda.Interop;
using LstmNative.Gpu.Inference;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Inference;

/// <summary>Strides, state copies, the wavefront schedule, the graph cache, the kernel argument blocks, driver exports.</summary>
public class HostLogicTests
{
    [TestCase(SequenceLayout.TimeMajor, 1)]
    [TestCase(SequenceLayout.TimeMajor, 2)]
    [TestCase(SequenceLayout.BatchMajor, 1)]
    [TestCase(SequenceLayout.BatchMajor, 2)]
    public void GeometryAddressesTheDocumentedLayouts(SequenceLayout layout, int dirs)
    {
        const int steps = 4, batch = 3, maxBatch = 5, h = 6, layers = 3;
        var o = new RnnLayerOptions(RnnCellType.Lstm, 7, h, dirs == 2 ? RnnDirection.Bidirectional : RnnDirection.Forward);
        int width = dirs * 4 * h;
        for (int l = 0; l < layers; l++)
        {
            var g = LayerGeometry.For(o, l, layers, steps, batch, maxBatch, layout);
            bool last = l == layers - 1;
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < batch; b++)
                {
                    long xwRow = l == 0 && layout == SequenceLayout.BatchMajor ? b * steps + t : t * batch + b;
                    Assert.That(t * g.XwStrideT + b * g.XwStrideB, Is.EqualTo(xwRow * width), "input projection row");
                    for (int d = 0; d < dirs; d++)
                    {
                        long y = t * g.YStrideT + b * g.YStrideB + d * g.YStrideD;
                        long want = !last ? ((long)(t * batch + b) * dirs + d) * h
                            : layout == SequenceLayout.TimeMajor ? ((long)(t * dirs + d) * batch + b) * h
                            : ((long)(b * steps + t) * dirs + d) * h;
                        Assert.That(y, Is.EqualTo(want), $"y(t={t}, b={b}, d={d}) of layer {l}");
                        long state = d * g.StateStrideD + (long)b * g.LdState;
                        long wantState = layout == SequenceLayout.TimeMajor ? ((long)d * maxBatch + b) * h : ((long)b * dirs + d) * h;
                        Assert.That(state, Is.EqualTo(wantState), "state row");
                    }
                }
            Assert.That(g.Rows, Is.EqualTo(steps * batch));
            Assert.That(g.XwWidth, Is.EqualTo(width));
        }
    }

    [TestCase(SequenceLayout.TimeMajor, 1)]
    [TestCase(SequenceLayout.TimeMajor, 2)]
    [TestCase(SequenceLayout.BatchMajor, 2)]
    public void StateCopiesMoveEachCallerElementToItsDeviceRow(SequenceLayout layout, int dirs)
    {
        const int batch = 3, maxBatch = 5, h = 4;
        var o = new RnnLayerOptions(RnnCellType.Gru, 2, h, dirs == 2 ? RnnDirection.Bidirectional : RnnDirection.Forward);
        var g = LayerGeometry.For(o, 0, 1, 1, batch, maxBatch, layout);
        Span<(long Device, long Host, long Count)> pieces = stackalloc (long, long, long)[2];
        int n = LayerGeometry.StateCopies(o, batch, maxBatch, layout, pieces);
        var device = new long[LayerGeometry.StateElements(o, maxBatch)];
        Array.Fill(device, -1);
        for (int i = 0; i < n; i++)
            for (long k = 0; k < pieces[i].Count; k++)
                device[pieces[i].Device + k] = pieces[i].Host + k;
        for (int d = 0; d < dirs; d++)
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < h; j++)
                {
                    long host = layout == SequenceLayout.TimeMajor ? ((long)d * batch + b) * h + j : ((long)b * dirs + d) * h + j;
                    Assert.That(device[d * g.StateStrideD + b * g.LdState + j], Is.EqualTo(host), $"d={d} b={b} j={j}");
                }
        Assert.That(device.Count(v => v >= 0), Is.EqualTo(dirs * batch * h), "nothing else is written");
    }

    [TestCase(1, null)]
    [TestCase(7, null)]
    [TestCase(100, null)]
    [TestCase(1000, null)]
    [TestCase(100, 1)]
    [TestCase(100, 30)]
    [TestCase(5, 16)]
    public void WavefrontChunksPartitionTheSequence(int steps, int? requested)
    {
        int chunk = WavefrontSchedule.ChooseChunk(steps, requested);
        int count = WavefrontSchedule.ChunkCount(steps, chunk);
        Assert.That(count, Is.InRange(1, WavefrontSchedule.MaxChunks));
        if (requested is { } r && (steps + r - 1) / r <= WavefrontSchedule.MaxChunks)
            Assert.That(chunk, Is.EqualTo(r), "a feasible request is honoured");
        int next = 0;
        for (int c = 0; c < count; c++)
        {
            var (start, length) = WavefrontSchedule.Chunk(c, steps, chunk);
            Assert.That(start, Is.EqualTo(next));
            Assert.That(length, Is.InRange(1, chunk));
            next = start + length;
        }
        Assert.That(next, Is.EqualTo(steps));
        Assert.That(() => WavefrontSchedule.Chunk(count, steps, chunk), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void OnlyForwardStandardStacksRunAsAWavefront()
    {
        var f = new RnnLayerOptions(RnnCellType.Lstm, 4, 4);
        var r = f with { Direction = RnnDirection.Reverse };
        GpuAlgorithm s = GpuAlgorithm.Standard, p = GpuAlgorithm.Persistent;
        Assert.Multiple(() =>
        {
            Assert.That(WavefrontSchedule.Eligible([f, f], [s, s], true), Is.True);
            Assert.That(WavefrontSchedule.Eligible([f, f], [s, s], false), Is.False);
            Assert.That(WavefrontSchedule.Eligible([f], [s], true), Is.False);
            Assert.That(WavefrontSchedule.Eligible([f, r], [s, s], true), Is.False);
            Assert.That(WavefrontSchedule.Eligible([f, f], [s, p], true), Is.False);
        });
    }

    private sealed class Graph(List<string> log, string name) : IDisposable
    {
        public void Dispose() => log.Add(name);
    }

    [Test]
    public void GraphCacheKeepsTheMostRecentlyUsed()
    {
        var disposed = new List<string>();
        using var cache = new GraphCache<RunKey, Graph>(2);
        var a = new RunKey(10, 1, RunFlags.WantY);
        var b = new RunKey(10, 2, RunFlags.WantY);
        var c = new RunKey(10, 1, RunFlags.WantY | RunFlags.Lengths);
        cache.Add(a, new Graph(disposed, "a"));
        cache.Add(b, new Graph(disposed, "b"));
        Assert.That(cache.TryGet(a, out _), Is.True); // a is now the most recent
        cache.Add(c, new Graph(disposed, "c"));        // evicts b
        Assert.Multiple(() =>
        {
            Assert.That(disposed, Is.EqualTo(new[] { "b" }));
            Assert.That(cache.Contains(a) && cache.Contains(c) && !cache.Contains(b), Is.True);
            Assert.That(cache.TryGet(b, out _), Is.False);
            Assert.That((cache.Hits, cache.Misses, cache.Evictions), Is.EqualTo((1L, 1L, 1L)));
            Assert.That(() => cache.Add(a, new Graph(disposed, "dup")), Throws.InvalidOperationException);
        });
        cache.Clear();
        Assert.That(disposed, Is.EquivalentTo(new[] { "b", "a", "c" }));
    }

    [Test]
    public void RunKeysDifferByEveryFlag()
    {
        var keys = Enum.GetValues<RunFlags>().Select(f => new RunKey(5, 2, f)).ToHashSet();
        Assert.That(keys, Has.Count.EqualTo(Enum.GetValues<RunFlags>().Length));
    }

    // ----- the argument blocks: the C# structs must be the .cuh structs, field for field ------------------------------

    [TestCase("RnnActivation", typeof(KernelActivation), 12)]
    [TestCase("RnnActivations", typeof(KernelActivations), 36)]
    [TestCase("RnnStepArgs", typeof(StepKernelArgs), 192)]
    [TestCase("RnnPersistentDirection", typeof(PersistentDirectionArgs), 120)]
    [TestCase("RnnPersistentArgs", typeof(PersistentKernelArgs), 328)]
    public void ArgumentBlocksMatchTheKernelHeader(string cName, Type type, int size)
    {
        Assert.That(Marshal.SizeOf(type), Is.EqualTo(size), "size (also static_assert'ed in the header)");
        var header = FindKernelFile("rnn_common.cuh");
        if (header is null)
            Assert.Ignore("kernels/rnn_common.cuh is not beside this test run (the GPU bundle carries no sources)");
        var body = Regex.Match(File.ReadAllText(header!), $@"struct {cName}\s*\{{(?<body>.*?)\n\}};", RegexOptions.Singleline);
        Assert.That(body.Success, Is.True, $"struct {cName} in the header");
        var cFields = new List<(string Type, int Count)>();
        foreach (Match m in Regex.Matches(body.Groups["body"].Value, @"^\s*(?:const\s+)?(?<type>[A-Za-z_ ]+?)\s*(?<ptr>\*)?\s*(?<name>\w+)(?:\[(?<n>\d+)\])?;", RegexOptions.Multiline))
            cFields.Add((m.Groups["ptr"].Success ? "pointer" : m.Groups["type"].Value.Trim(), m.Groups["n"].Success ? int.Parse(m.Groups["n"].Value) : 1));
        var csFields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).ToList();
        var expanded = cFields.SelectMany(f => Enumerable.Repeat(f.Type, f.Count)).ToList();
        Assert.That(csFields.Select(f => CType(f.FieldType)), Is.EqualTo(expanded), $"{cName}: field types in order");
    }

    private static string CType(Type t) =>
        t == typeof(ulong) ? "pointer" : t == typeof(long) ? "long long" : t == typeof(int) ? "int" : t == typeof(float) ? "float"
        : t == typeof(KernelActivation) ? "RnnActivation" : t == typeof(KernelActivations) ? "RnnActivations"
        : t == typeof(PersistentDirectionArgs) ? "RnnPersistentDirection" : t.Name;

    [Test]
    public void EveryInferenceKernelIsDefinedInTheSources()
    {
        var sources = new[] { "rnn_forward.cu", "rnn_persistent.cu" }.Select(FindKernelFile).ToArray();
        if (sources.Any(s => s is null))
            Assert.Ignore("kernel sources are not beside this test run");
        var text = string.Concat(sources.Select(s => File.ReadAllText(s!)));
        foreach (var name in InferenceKernelNames.All)
            Assert.That(text, Does.Match($@"extern ""C"" __global__ void .*\b{name}\("), name);
    }

    [Test]
    public void PtxasReportShowsNoSpillsInTheInferenceKernels()
    {
        var report = EmbeddedKernels.PtxasReport;
        if (report is null)
            Assert.Ignore("the build had no nvcc: no ptxas report");
        var lines = report!.Split('\n');
        foreach (var name in InferenceKernelNames.All)
        {
            int seen = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                if (!lines[i].Contains($"Function properties for {name}", StringComparison.Ordinal))
                    continue;
                seen++;
                Assert.That(lines[i + 1], Does.Contain("0 bytes spill stores, 0 bytes spill loads"), $"{name}: {lines[i + 1].Trim()}");
                Assert.That(lines[i + 1], Does.Contain("0 bytes stack frame"), $"{name}: {lines[i + 1].Trim()}");
            }
            Assert.That(seen, Is.GreaterThanOrEqualTo(4), $"{name} compiled for every architecture");
        }
    }

    [Test]
    public void TheDriverHasEveryEntryPointTheBindingImports()
    {
        // LibraryImport binds lazily: a name the driver lacks would fail only at its first call, mid-run.
        var names = typeof(CudaDriver).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(m => m.Name.StartsWith("cu", StringComparison.Ordinal)).Select(m => m.Name).Distinct().ToArray();
        Assert.That(names, Does.Contain("cuLaunchCooperativeKernel").And.Contain("cuFuncSetAttribute").And.Contain("cuMemsetD8Async"));
        if (!NativeLibraryResolver.TryLoad(CudaLibrary.Driver, out var handle, out _))
            Assert.Ignore($"no NVIDIA driver library on this machine (the {names.Length} imports were listed, not resolved)");
        foreach (var name in names)
            Assert.That(NativeLibrary.TryGetExport(handle, name, out _), Is.True, name);
    }

    internal static string? FindKernelFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "kernels", name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
