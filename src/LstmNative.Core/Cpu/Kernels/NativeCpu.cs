using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// The native micro-kernels (<c>native/cpu/lstmnative_cpu.c</c>, built by clang into <c>liblstmnative_cpu.so</c>) for
/// instructions .NET 10 cannot emit: int8 products with AVX-512 VNNI <c>vpdpbusd</c> (uint8 activations × int8 weights,
/// zero point 128 compensated with the weights' column sums). Loaded once; each kernel is enabled only when the CPU
/// reports its instructions, the managed kernels run at 512 bits (so <c>DOTNET_EnableAVX512=0</c> turns it off too), and
/// it reproduces the managed reference (<see cref="ReferenceInt8Quads"/>) exactly on a probe product. Otherwise the
/// managed kernels run and <see cref="Status"/> says why (also written to <see cref="Trace"/>, and to stderr when
/// <c>LSTMNATIVE_NATIVE_LOG=1</c>). <c>LSTMNATIVE_NATIVE=0</c> switches the native kernels off.
/// </summary>
public static unsafe class NativeCpu
{
    private const string LibraryName = "lstmnative_cpu";
    private const int FeatAvx512 = 1, FeatVnni = 2, FeatBf16 = 4, FeatAmx = 8;

    private static readonly delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int> QGemmVnni;
    private static bool _int8Override = true;

    static NativeCpu()
    {
        Features = 0;
        Status = Initialise(out var qgemm);
        QGemmVnni = qgemm;
        Int8VnniAvailable = qgemm != null;
        Trace.WriteLine("LstmNative native CPU kernels: " + Status);
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_NATIVE_LOG") == "1")
            Console.Error.WriteLine("LstmNative native CPU kernels: " + Status);
    }

    /// <summary>What was loaded and enabled, or why not (one line).</summary>
    public static string Status { get; }

    /// <summary>Whether the int8 VNNI kernel passed its checks (models packed from now on use it).</summary>
    public static bool Int8Vnni => Int8VnniAvailable && _int8Override;

    private static bool Int8VnniAvailable { get; }

    /// <summary>The CPU features the library reported: "avx512", "vnni", "bf16", "amx" (empty when not loaded).</summary>
    public static string FeatureText => string.Join(' ', new[] { (FeatAvx512, "avx512"), (FeatVnni, "vnni"), (FeatBf16, "avx512bf16"), (FeatAmx, "amx") }
        .Where(f => (Features & f.Item1) != 0).Select(f => f.Item2));

    private static int Features { get; set; }

    /// <summary>Test and benchmark hook: false packs new int8 models for the managed kernels even where VNNI is on.</summary>
    internal static void EnableInt8(bool enabled) => _int8Override = enabled;

    /// <summary>Whether the quad layout applies: 512-bit panels (NR = 32) and K small enough for exact int32 sums and the scratch.</summary>
    internal static bool SuitsInt8Quads(int k, int panelWidth) => panelWidth == 32 && k >= 1 && k <= 65536;

    private static string Initialise(out delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int> qgemm)
    {
        qgemm = null;
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_NATIVE") == "0")
            return "off (LSTMNATIVE_NATIVE=0); managed kernels";
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return $"not built for {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}; managed kernels";
        if (!TryLoad(out nint handle, out string where))
            return $"lib{LibraryName}.so not found ({where}); managed kernels (build with 'dotnet cake --target=Build', which needs clang)";
        try
        {
            var version = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "lstmn_cpu_abi_version");
            if (version() != 1)
                return $"lib{LibraryName}.so has ABI {version()}, expected 1; managed kernels";
            Features = ((delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "lstmn_cpu_features"))();
            string cpu = FeatureText.Length == 0 ? "no AVX-512" : FeatureText;
            if ((Features & FeatVnni) == 0)
                return $"loaded, but the CPU has no AVX-512 VNNI ({cpu}); managed kernels";
            if (CpuKernels.Detected != KernelWidth.Vector512)
                return $"loaded, CPU has {cpu}, but the runtime runs {CpuKernels.Detected} (DOTNET_EnableAVX512=0?); managed kernels";
            var f = (delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int>)
                NativeLibrary.GetExport(handle, "lstmn_qgemm_u8s8_avx512vnni");
            string? mismatch = Probe(f);
            if (mismatch is not null)
                return $"int8 VNNI kernel disabled: it disagrees with the managed reference on the probe product ({mismatch}); managed kernels";
            qgemm = f;
            return $"int8 VNNI (vpdpbusd) on; CPU {cpu}; AVX512-BF16 and AMX kernels not built (managed bf16 kernels)";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or BadImageFormatException)
        {
            return $"lib{LibraryName}.so unusable ({e.Message}); managed kernels";
        }
    }

    private static bool TryLoad(out nint handle, out string where)
    {
        var assembly = typeof(NativeCpu).Assembly;
        if (NativeLibrary.TryLoad(LibraryName, assembly, DllImportSearchPath.AssemblyDirectory, out handle))
        {
            where = "";
            return true;
        }
        string dir = Path.GetDirectoryName(assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(dir, $"lib{LibraryName}.so"),
            Path.Combine(dir, "runtimes", "linux-x64", "native", $"lib{LibraryName}.so"),
            Path.Combine(AppContext.BaseDirectory, $"lib{LibraryName}.so"),
        ];
        foreach (var path in candidates)
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out handle))
            {
                where = path;
                return true;
            }
        where = "looked in " + string.Join(", ", candidates.Distinct());
        return false;
    }

    /// <summary>
    /// Runs the native product on <paramref name="b"/> (int8 quads): the contract of <see cref="QGemm.Run{TV, TQ}"/>.
    /// <paramref name="scratch"/> holds <see cref="Sgemm.ScratchFloats"/> floats.
    /// </summary>
    internal static void RunInt8(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch)
    {
        Debug.Assert(b.IsInt8Quads && QGemmVnni != null);
        int rc = QGemmVnni(m, k, a, ars, acs, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, p0, panelCount, b.Scales!.Pointer,
            (int*)b.ColumnSums!.Pointer, c, ldc, accumulate ? 1 : 0, (byte*)scratch, (nint)Sgemm.ScratchFloats * sizeof(float));
        if (rc != 0)
            throw new InvalidOperationException($"native int8 product refused k = {k} (status {rc})");
        GC.KeepAlive(b);
    }

    /// <summary>
    /// The managed reference of the int8-quad product, scalar: each row quantized over its whole K to uint8 with zero point
    /// 128 (<c>scale = max|x| / 127</c>, <c>q = round_half_even(x · 127 / max)</c>), exact int32 sums, then
    /// <c>C (+)= float(Σ u·w − 128·colSum) · (rowScale · colScale)</c> — the native kernel's result, bit for bit.
    /// </summary>
    internal static void ReferenceInt8Quads(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate)
    {
        int nr = b.PanelWidth, w = nr / 2;
        var u = new byte[(k + 3) & ~3];
        for (int r = 0; r < m; r++)
        {
            float* x = a + r * ars;
            float scale = Quantization.ActivationScale8(Quantization.MaxAbs(x, acs, k), out float inv);
            Array.Fill(u, (byte)128);
            for (int i = 0; i < k; i++)
                u[i] = (byte)(Quantization.QuantizeActivation8(x[i * acs], inv) + 128);
            for (int p = p0; p < p0 + panelCount; p++)
            {
                sbyte* bp = (sbyte*)b.PanelData(p);
                for (int j = 0; j < nr; j++)
                {
                    int n = p * nr + j, half = j / w, i = j % w, sum = 0;
                    for (int kk = 0; kk < u.Length; kk++)
                        sum += u[kk] * bp[(long)(kk >> 2) * 4 * nr + half * 4 * w + 4 * i + (kk & 3)];
                    int colSum = ((int*)b.ColumnSums!.Pointer)[n];
                    float v = (float)(sum - 128 * colSum) * (scale * b.Scales!.Pointer[n]);
                    float* cp = c + r * ldc + n;
                    *cp = accumulate ? *cp + v : v;
                }
            }
        }
    }

    /// <summary>Compares the native kernel with the reference on random shapes (1, 3 and 7 rows; K = 37, 300); null when equal.</summary>
    private static string? Probe(delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int> f)
    {
        var rng = new Random(15);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (var (m, k, n) in new[] { (1, 37, 96), (3, 300, 64), (7, 64, 40) })
        {
            var b = new PackedMatrix(k, n, 32, CpuPrecision.Int8, int8Quads: true);
            var wts = new float[k * n];
            for (int i = 0; i < wts.Length; i++)
                wts[i] = (float)(rng.NextDouble() * 2 - 1);
            b.Pack(new ArrayMap(wts, n));
            var a = new float[m * k];
            for (int i = 0; i < a.Length; i++)
                a[i] = (float)(rng.NextDouble() * 2 - 1);
            int ldc = b.Panels * 32;
            var expected = new float[m * ldc];
            var actual = new float[m * ldc];
            for (int i = 0; i < expected.Length; i++)
                expected[i] = actual[i] = i % 5;
            fixed (float* ap = a, ep = expected, cp = actual)
            {
                ReferenceInt8Quads(m, k, ap, k, 1, b, 0, b.Panels, ep, ldc, accumulate: true);
                int rc = f(m, k, ap, k, 1, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, 0, b.Panels, b.Scales!.Pointer,
                    (int*)b.ColumnSums!.Pointer, cp, ldc, 1, (byte*)scratch.Pointer, (nint)Sgemm.ScratchFloats * sizeof(float));
                if (rc != 0)
                    return $"status {rc} at m={m}, k={k}";
            }
            for (int i = 0; i < expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                    return $"m={m} k={k} n={n}: element {i} is {actual[i]:R}, the reference {expected[i]:R}";
        }
        return null;
    }

    /// <summary><c>B[k, n] = w[k · n + n]</c>.</summary>
    internal readonly struct ArrayMap(float[] w, int columns) : IElementMap
    {
        public float Get(int k, int n) => w[k * columns + n];
    }
}
