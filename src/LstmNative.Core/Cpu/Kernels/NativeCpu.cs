using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// The native micro-kernels (<c>native/cpu/lstmnative_cpu.c</c>, built by clang into <c>liblstmnative_cpu.so</c>) for
/// instructions .NET 10 cannot emit: int8 products with AVX-512 VNNI <c>vpdpbusd</c> (uint8 activations × int8 weights,
/// zero point 128 compensated with the weights' column sums; the same product at 256 bits with AVX-VNNI's VEX form for
/// 256-bit plans, on CPUs with VNNI but without AVX-512 or with it hidden) and bf16 products with AVX512-BF16 <c>vdpbf16ps</c>
/// (activations rounded to bf16 × bf16 weights, float32 sums); and the float32 batch-1 product, which the JIT compiles
/// into a loop that streams R from L3 about 15 % slower than the same loop in C (<see cref="RunFp32"/>), and the product of 2-4 rows
/// (<see cref="RunFp32Rows"/>: h read in place, each pair of panels loaded once for all the rows). Loaded once; each kernel is enabled only when the CPU
/// reports its instructions, the runtime runs managed kernels of its width (the 512-bit kernels need
/// <see cref="KernelWidth.Vector512"/>, so <c>DOTNET_EnableAVX512=0</c> turns them off; the AVX-VNNI one needs at
/// least <see cref="KernelWidth.Vector256"/>), and
/// it reproduces its managed reference (<see cref="ReferenceInt8Quads"/> exactly; <see cref="ReferenceBf16Pairs"/>
/// exactly on sums that float32 holds exactly, within float32 summation-order rounding otherwise; the float32 product
/// bit for bit with <see cref="Sgemm"/>'s 512-bit kernels) on probe products.
/// Otherwise the managed kernels run and <see cref="Status"/> says why (also written to <see cref="Trace"/>, and to
/// stderr when <c>LSTMNATIVE_NATIVE_LOG=1</c>). <c>LSTMNATIVE_NATIVE=0</c> switches the native kernels off.
/// </summary>
public static unsafe partial class NativeCpu
{
    private const string LibraryName = "lstmnative_cpu";
    private const int AbiVersion = 8;
    private const int FeatAvx512 = 1, FeatVnni = 2, FeatBf16 = 4, FeatAmx = 8, FeatAvxVnni = 16;

    private static readonly LstmnInt8Fn QGemmVnni;
    private static readonly LstmnInt8StaticFn QGemmVnniStatic;
    private static readonly LstmnInt8Fn QGemmAvxVnni;
    private static readonly LstmnInt8StaticFn QGemmAvxVnniStatic;
    private static readonly delegate* unmanaged<int, int, float*, nint, nint, ushort*, nint, int, int, float*, nint, int, byte*, nint, int> GemmBf16;
    private static readonly delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int> GemvF32;
    private static readonly delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int> GemmRowsF32;
    private static bool _int8Override = true, _bf16Override = true, _fp32Override = true;

    static NativeCpu()
    {
        var loaded = Load(Environment.GetEnvironmentVariable);
        Features = loaded.Features;
        Status = loaded.Status;
        QGemmVnni = loaded.Int8;
        QGemmVnniStatic = loaded.Int8Static;
        QGemmAvxVnni = loaded.Int8Avx;
        QGemmAvxVnniStatic = loaded.Int8AvxStatic;
        GemmBf16 = loaded.Bf16;
        GemvF32 = loaded.Fp32;
        Fp32Available = loaded.Fp32 != null;
        GemmRowsF32 = loaded.Fp32Rows;
        Fp32RowsAvailable = loaded.Fp32Rows != null;
        Bf16Available = loaded.Bf16 != null;
        SideQuantizer = loaded.QuantizeSide;
        FusedGemv = loaded.Fused;
        Trace.WriteLine("LstmNative native CPU kernels: " + Status);
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_NATIVE_LOG") == "1")
            Console.Error.WriteLine("LstmNative native CPU kernels: " + Status);
    }

    /// <summary>What was loaded and enabled, or why not (one line).</summary>
    public static string Status { get; }

    /// <summary>
    /// Whether an int8 VNNI kernel of the runtime's width (<see cref="CpuKernels.Detected"/>) passed its checks: int8
    /// models packed from now on use it.
    /// </summary>
    public static bool Int8Vnni => Int8QuadsFor(2 * (int)CpuKernels.Detected);

    /// <summary>
    /// Whether int8 matrices of <paramref name="panelWidth"/> columns a panel are packed for a native VNNI kernel: 32
    /// (512-bit plans) needs the AVX-512 VNNI kernel, 16 (256-bit plans) the AVX-VNNI one.
    /// </summary>
    internal static bool Int8QuadsFor(int panelWidth) =>
        _int8Override && (panelWidth == 32 ? QGemmVnni != null : panelWidth == 16 && QGemmAvxVnni != null);

    /// <summary>Whether the bf16 <c>vdpbf16ps</c> kernel passed its checks (bf16 models packed from now on use it).</summary>
    public static bool Bf16DotProduct => Bf16Available && _bf16Override;

    /// <summary>Whether the float32 batch-1 kernel passed its checks (float32 products of one row run it from now on).</summary>
    public static bool Fp32Gemv => Fp32Available && _fp32Override;

    private static bool Fp32Available { get; }

    /// <summary>Whether the float32 kernel of 2-4 rows passed its checks (float32 products of 2-4 rows run it from now on).</summary>
    public static bool Fp32Rows => Fp32RowsAvailable && _fp32Override;

    private static bool Fp32RowsAvailable { get; }

    private static bool Bf16Available { get; }

    /// <summary>The CPU features the library reported: "avx512", "vnni", "avx512bf16", "amx", "avx-vnni" (empty when not loaded).</summary>
    public static string FeatureText => Describe(Features);

    private static string Describe(int features) => string.Join(' ', new[] { (FeatAvx512, "avx512"), (FeatVnni, "vnni"), (FeatBf16, "avx512bf16"), (FeatAmx, "amx"), (FeatAvxVnni, "avx-vnni") }
        .Where(f => (features & f.Item1) != 0).Select(f => f.Item2));

    private static int Features { get; }

    /// <summary>Test and benchmark hook: false packs new int8 models for the managed kernels even where VNNI is on.</summary>
    internal static void EnableInt8(bool enabled) => _int8Override = enabled;

    /// <summary>Test and benchmark hook: false packs new bf16 models for the managed (widening) kernels even where the bf16 kernel is on.</summary>
    internal static void EnableBf16(bool enabled) => _bf16Override = enabled;

    /// <summary>Test and benchmark hook: false runs float32 products of 1-4 rows on the managed kernels even where the native ones are on.</summary>
    internal static void EnableFp32(bool enabled) => _fp32Override = enabled;

    /// <summary>Whether the quad layout applies: panels of a native kernel's width (NR = 32 or 16) and K small enough for exact int32 sums and the scratch.</summary>
    internal static bool SuitsInt8Quads(int k, int panelWidth) => panelWidth is 32 or 16 && k >= 1 && k <= 65536;

    /// <summary>Whether the bf16 pair layout applies: 512-bit panels (NR = 32) and one row of bf16 activations fits the scratch.</summary>
    internal static bool SuitsBf16Pairs(int k, int panelWidth) => panelWidth == 32 && k >= 1 && k <= 32768;

    /// <summary>What <see cref="Load"/> found: the status line, the CPU features, and the kernels that passed (null: off).</summary>
    internal readonly struct Loaded(string status, int features,
        delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int> int8,
        delegate* unmanaged<int, int, float*, nint, nint, ushort*, nint, int, int, float*, nint, int, byte*, nint, int> bf16,
        delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int> fp32 = null,
        delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, float, float, int> int8Static = null,
        LstmnQuantizeSideFn quantizeSide = null, LstmnFusedGemvFn fusedGemv = null,
        LstmnInt8Fn int8Avx = null, LstmnInt8StaticFn int8AvxStatic = null,
        delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int> fp32Rows = null)
    {
        /// <summary>The float32 kernel of 2-4 rows (null: off).</summary>
        public delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int> Fp32Rows { get; } = fp32Rows;

        /// <summary>The AVX-VNNI int8 kernel for 256-bit plans (panels of 16 columns; null: off).</summary>
        public LstmnInt8Fn Int8Avx { get; } = int8Avx;

        /// <summary>Its static (fixed-scale) form: set exactly when <see cref="Int8Avx"/> is.</summary>
        public LstmnInt8StaticFn Int8AvxStatic { get; } = int8AvxStatic;

        /// <summary>The side-row quantizer of the fused batch-1 int8 product: set exactly when <see cref="Fused"/> is.</summary>
        public LstmnQuantizeSideFn QuantizeSide { get; } = quantizeSide;

        /// <summary>The fused batch-1 int8 product (null: off; it needs <see cref="Int8"/>, whose packed layout it reads).</summary>
        public LstmnFusedGemvFn Fused { get; } = fusedGemv;

        public string Status { get; } = status;

        public int Features { get; } = features;

        public delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int> Int8 { get; } = int8;

        /// <summary>The static (fixed-scale) int8 kernel: set exactly when <see cref="Int8"/> is (they share the packed layout).</summary>
        public delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, float, float, int> Int8Static { get; } = int8Static;

        public delegate* unmanaged<int, int, float*, nint, nint, ushort*, nint, int, int, float*, nint, int, byte*, nint, int> Bf16 { get; } = bf16;

        public delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int> Fp32 { get; } = fp32;
    }

    /// <summary>
    /// Loads the library and checks each kernel, reading the environment through <paramref name="environment"/> (the
    /// static constructor passes <see cref="Environment.GetEnvironmentVariable(string)"/>; tests pass their own to check
    /// the switches without a new process).
    /// </summary>
    internal static Loaded Load(Func<string, string?> environment)
    {
        if (environment("LSTMNATIVE_NATIVE") == "0")
            return new("off (LSTMNATIVE_NATIVE=0); managed kernels", 0, null, null);
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return new($"not built for {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}; managed kernels", 0, null, null);
        if (!TryLoad(out nint handle, out string where))
            return new($"lib{LibraryName}.so not found ({where}); managed kernels (build with 'dotnet cake --target=Build', which needs clang)", 0, null, null);
        int features = 0;
        try
        {
            var version = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "lstmn_cpu_abi_version");
            if (version() != AbiVersion)
                return new($"lib{LibraryName}.so has ABI {version()}, expected {AbiVersion} (a stale build?); managed kernels", 0, null, null);
            features = ((delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "lstmn_cpu_features"))();
            string cpu = features == 0 ? "no AVX-512, no AVX-VNNI" : Describe(features);
            string avxText = LoadAvxVnni(handle, features, out var int8Avx, out var int8AvxStatic);
            if ((features & FeatAvx512) == 0)
                return new($"loaded, but the CPU has no AVX-512 ({cpu}): {avxText}; other kernels managed", features, null, null,
                    int8Avx: int8Avx, int8AvxStatic: int8AvxStatic);
            if (CpuKernels.Detected != KernelWidth.Vector512)
                return new($"loaded, CPU has {cpu}, but the runtime runs {CpuKernels.Detected} (DOTNET_EnableAVX512=0?): {avxText}; the 512-bit kernels off (managed)",
                    features, null, null, int8Avx: int8Avx, int8AvxStatic: int8AvxStatic);
            LstmnInt8Fn int8 = null;
            LstmnInt8StaticFn int8Static = null;
            delegate* unmanaged<int, int, float*, nint, nint, ushort*, nint, int, int, float*, nint, int, byte*, nint, int> bf16 = null;
            string int8Text, bf16Text;
            if ((features & FeatVnni) == 0)
                int8Text = "int8 512-bit: no AVX-512 VNNI (managed kernels)";
            else
            {
                var f = (delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int>)
                    NativeLibrary.GetExport(handle, "lstmn_qgemm_u8s8_avx512vnni");
                var fs = (delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, float, float, int>)
                    NativeLibrary.GetExport(handle, "lstmn_qgemm_u8s8_static_avx512vnni");
                // Both schemes run on the same packed quads, so the layout is chosen for both or neither.
                string? mismatch = Probe(f, fs, 32);
                if (mismatch is null)
                {
                    int8 = f;
                    int8Static = fs;
                    int8Text = "int8 VNNI (vpdpbusd, dynamic and static) on";
                }
                else
                    int8Text = $"int8 VNNI kernel disabled: it disagrees with the managed reference on the probe product ({mismatch}); managed int8 kernels";
            }
            if ((features & FeatBf16) == 0)
                bf16Text = "bf16: no AVX512-BF16 (managed widening kernels)";
            else
            {
                var f = (delegate* unmanaged<int, int, float*, nint, nint, ushort*, nint, int, int, float*, nint, int, byte*, nint, int>)
                    NativeLibrary.GetExport(handle, "lstmn_sgemm_bf16_avx512bf16");
                string? mismatch = ProbeBf16(f);
                if (mismatch is null)
                {
                    bf16 = f;
                    bf16Text = "bf16 (vdpbf16ps) on";
                }
                else
                    bf16Text = $"bf16 kernel disabled: it disagrees with the managed reference on the probe product ({mismatch}); managed bf16 kernels";
            }
            delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int> fp32 = null;
            string fp32Text;
            {
                var f = (delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int>)
                    NativeLibrary.GetExport(handle, "lstmn_sgemv_f32_avx512");
                string? mismatch = ProbeFp32(f);
                if (mismatch is null)
                {
                    fp32 = f;
                    fp32Text = "fp32 batch-1 on";
                }
                else
                    fp32Text = $"fp32 batch-1 kernel disabled: it disagrees with the managed kernels on the probe product ({mismatch}); managed fp32 kernels";
            }
            delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int> fp32Rows = null;
            {
                var f = (delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int>)NativeLibrary.GetExport(handle, "lstmn_sgemm_rows_f32_avx512");
                string? mismatch = ProbeFp32Rows(f);
                if (mismatch is null)
                {
                    fp32Rows = f;
                    fp32Text += "; fp32 2-4 rows on";
                }
                else
                    fp32Text += $"; fp32 2-4 row kernel disabled: it disagrees with the managed kernels on the probe product ({mismatch}); managed fp32 kernels";
            }
            LstmnQuantizeSideFn quantizeSide = null;
            LstmnFusedGemvFn fusedGemv = null;
            string fusedText = int8 == null ? "" : "; " + LoadFused(handle, int8, int8Static, out quantizeSide, out fusedGemv);
            return new($"{int8Text}; {bf16Text}; {fp32Text}; {avxText}; CPU {cpu}; AMX kernels not built{fusedText}", features, int8, bf16, fp32, int8Static,
                quantizeSide, fusedGemv, int8Avx, int8AvxStatic, fp32Rows);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or BadImageFormatException)
        {
            return new($"lib{LibraryName}.so unusable ({e.Message}); managed kernels", features, null, null);
        }
    }

    /// <summary>
    /// Gets the AVX-VNNI int8 kernels (256-bit plans) where the CPU has AVX-VNNI and the runtime at least 256-bit
    /// vectors, and checks them against the reference like the 512-bit ones; the status text.
    /// </summary>
    private static string LoadAvxVnni(nint handle, int features, out LstmnInt8Fn int8, out LstmnInt8StaticFn int8Static)
    {
        int8 = null;
        int8Static = null;
        if ((features & FeatAvxVnni) == 0)
            return "int8 256-bit: no AVX-VNNI";
        if (CpuKernels.Detected < KernelWidth.Vector256)
            return $"int8 AVX-VNNI off: the runtime runs {CpuKernels.Detected} (DOTNET_EnableAVX2=0?)";
        var f = (LstmnInt8Fn)NativeLibrary.GetExport(handle, "lstmn_qgemm_u8s8_avxvnni");
        var fs = (LstmnInt8StaticFn)NativeLibrary.GetExport(handle, "lstmn_qgemm_u8s8_static_avxvnni");
        string? mismatch = Probe(f, fs, 16);
        if (mismatch is not null)
            return $"int8 AVX-VNNI kernel disabled: it disagrees with the managed reference on the probe product ({mismatch}); managed int8 kernels for 256-bit plans";
        int8 = f;
        int8Static = fs;
        return "int8 AVX-VNNI (256-bit vpdpbusd, for 256-bit plans) on";
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
        Debug.Assert(b.IsInt8Quads);
        bool wide = b.PanelWidth == 32;
        LstmnInt8Fn dynamic = wide ? QGemmVnni : QGemmAvxVnni;
        LstmnInt8StaticFn fixedScale = wide ? QGemmVnniStatic : QGemmAvxVnniStatic;
        if (dynamic == null || fixedScale == null)
            throw new InvalidOperationException($"int8 matrix packed for a native kernel of {b.PanelWidth}-column panels, which is not loaded ({Status})");
        int rc = b.IsStatic
            ? fixedScale(m, k, a, ars, acs, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, p0, panelCount, b.Scales!.Pointer,
                (int*)b.ColumnSums!.Pointer, c, ldc, accumulate ? 1 : 0, (byte*)scratch, (nint)Sgemm.ScratchFloats * sizeof(float),
                b.StaticScale8, b.StaticInverse8)
            : dynamic(m, k, a, ars, acs, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, p0, panelCount, b.Scales!.Pointer,
                (int*)b.ColumnSums!.Pointer, c, ldc, accumulate ? 1 : 0, (byte*)scratch, (nint)Sgemm.ScratchFloats * sizeof(float));
        if (rc != 0)
            throw new InvalidOperationException($"native int8 product refused k = {k} (status {rc})");
        GC.KeepAlive(b);
    }

    /// <summary>
    /// Runs the native bf16 product on <paramref name="b"/> (bf16 pairs): the contract of <see cref="Sgemm.Run{TV}"/>,
    /// with each row of A rounded to bf16 (<see cref="Quantization.ToBf16Activation"/>) first.
    /// <paramref name="scratch"/> holds <see cref="Sgemm.ScratchFloats"/> floats.
    /// </summary>
    internal static void RunBf16(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch)
    {
        Debug.Assert(b.IsBf16Pairs && GemmBf16 != null);
        int rc = GemmBf16(m, k, a, ars, acs, (ushort*)b.Buffer.Pointer, (nint)b.PanelBytes, p0, panelCount, c, ldc,
            accumulate ? 1 : 0, (byte*)scratch, (nint)Sgemm.ScratchFloats * sizeof(float));
        if (rc != 0)
            throw new InvalidOperationException($"native bf16 product refused k = {k} (status {rc})");
        GC.KeepAlive(b);
    }

    /// <summary>
    /// Runs the native float32 product of one row (<c>m = 1</c>) on float32 panels of 32 columns: the contract of
    /// <see cref="Sgemm.Run{TV}"/>, bit for bit its 512-bit result (the same FMAs in the same order).
    /// </summary>
    internal static void RunFp32(int k, float* a, nint acs, PackedMatrix b, int p0, int panelCount, float* c, bool accumulate)
    {
        Debug.Assert(b.Precision == CpuPrecision.Fp32 && b.PanelWidth == 32 && GemvF32 != null);
        int rc = GemvF32(k, a, acs, b.Buffer.Pointer, (nint)(b.PanelBytes / sizeof(float)), p0, panelCount, c, accumulate ? 1 : 0, Sgemm.SliverKC);
        if (rc != 0)
            throw new InvalidOperationException($"native fp32 product refused (status {rc})");
        GC.KeepAlive(b);
    }

    /// <summary>
    /// Runs the native float32 product of 2-4 rows on float32 panels of 32 columns: the contract of
    /// <see cref="Sgemm.Run{TV}"/>, bit for bit its 512-bit result (the same FMAs in the same order).
    /// </summary>
    internal static void RunFp32Rows(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount, float* c, nint ldc, bool accumulate)
    {
        Debug.Assert(m is >= 2 and <= 4 && b.Precision == CpuPrecision.Fp32 && b.PanelWidth == 32 && GemmRowsF32 != null);
        int rc = GemmRowsF32(m, k, a, ars, acs, b.Buffer.Pointer, (nint)(b.PanelBytes / sizeof(float)), p0, panelCount, c, ldc, accumulate ? 1 : 0, Sgemm.SliverKC);
        if (rc != 0)
            throw new InvalidOperationException($"native fp32 product of {m} rows refused (status {rc})");
        GC.KeepAlive(b);
    }

    /// <summary>
    /// Compares the native float32 kernel of 2-4 rows with <see cref="Sgemm"/>'s managed 512-bit kernels bit for bit on
    /// random values: each row count; K = 1, odd, and past <see cref="Sgemm.SliverKC"/>; a lone last panel and pairs; rows
    /// and K strided; C accumulated and overwritten, wider than the product; a panel range that starts past 0. Null when equal.
    /// </summary>
    internal static string? ProbeFp32Rows(delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int> f)
    {
        var rng = new Random(23);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (var (m, k, n, acs, p0, accumulate) in new[] { (2, 1, 33, 1, 0, false), (3, 37, 96, 1, 0, true), (4, 300, 160, 3, 1, true),
            (2, Sgemm.SliverKC + 3, 64, 1, 0, true), (4, 8, 32, 1, 0, false), (3, 129, 224, 2, 2, false), (2, 64, 128, 1, 1, true) })
        {
            var probe = new Fp32Probe(rng, m, k, n, acs, k * acs + 5, 7, p0, accumulate, scratch);
            int rc;
            fixed (float* ap = probe.A, cp = probe.Actual)
                rc = f(m, k, ap, probe.Ars, acs, probe.B.Buffer.Pointer, probe.PanelFloats, p0, probe.Count, cp, probe.Ldc, accumulate ? 1 : 0, Sgemm.SliverKC);
            if ((rc != 0 ? $"status {rc} at m={m} k={k}" : probe.Difference($"m={m} k={k} n={n} acs={acs} p0={p0}")) is { } mismatch)
                return mismatch;
        }
        return null;
    }

    /// <summary>
    /// Compares the native float32 kernel with <see cref="Sgemm"/>'s managed 512-bit kernels bit for bit on random values:
    /// K = 1, odd, and past <see cref="Sgemm.SliverKC"/> (two K-blocks); a lone last panel and pairs; a strided row;
    /// C accumulated and overwritten; a panel range that starts past 0. Null when equal.
    /// </summary>
    internal static string? ProbeFp32(delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int> f)
    {
        var rng = new Random(17);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (var (k, n, acs, p0, accumulate) in new[] { (1, 33, 1, 0, false), (37, 96, 1, 0, true), (300, 160, 3, 1, true), (Sgemm.SliverKC + 3, 64, 1, 0, true), (8, 32, 1, 0, false) })
        {
            var probe = new Fp32Probe(rng, 1, k, n, acs, k * acs, 0, p0, accumulate, scratch);
            int rc;
            fixed (float* ap = probe.A, cp = probe.Actual)
                rc = f(k, ap, acs, probe.B.Buffer.Pointer, probe.PanelFloats, p0, probe.Count, cp, accumulate ? 1 : 0, Sgemm.SliverKC);
            if ((rc != 0 ? $"status {rc} at k={k}" : probe.Difference($"k={k} n={n} acs={acs} p0={p0}")) is { } mismatch)
                return mismatch;
        }
        return null;
    }

    /// <summary>
    /// One probe product of the float32 kernels: random packed weights (K × N, panels of 32), m rows of A (<c>acs</c>
    /// apart in k, <see cref="Ars"/> apart), C of <see cref="Ldc"/> columns (<c>ldcExtra</c> past the panels) filled at
    /// random, and the managed 512-bit kernels' result over panels [p0, end) in <see cref="Expected"/>. The native kernel
    /// writes <see cref="Actual"/> (the same starting C).
    /// </summary>
    private sealed class Fp32Probe
    {
        public Fp32Probe(Random rng, int m, int k, int n, int acs, int ars, int ldcExtra, int p0, bool accumulate, AlignedBuffer scratch)
        {
            B = new PackedMatrix(k, n, 32);
            var weights = new float[k * n];
            for (int i = 0; i < weights.Length; i++)
                weights[i] = (float)(rng.NextDouble() * 2 - 1);
            B.Pack(new ArrayMap(weights, n));
            Ars = ars;
            A = new float[(m - 1) * ars + k * acs];
            for (int i = 0; i < A.Length; i++)
                A[i] = (float)(rng.NextDouble() * 2 - 1);
            Ldc = B.Panels * 32 + ldcExtra;
            Count = B.Panels - p0;
            Expected = new float[m * Ldc];
            Actual = new float[m * Ldc];
            for (int i = 0; i < Expected.Length; i++)
                Expected[i] = Actual[i] = (float)(rng.NextDouble() - 0.5);
            fixed (float* ap = A, ep = Expected)
                Sgemm.RunManaged<Vec512>(m, k, ap, ars, acs, B, p0, Count, ep, Ldc, accumulate, scratch.Pointer);
            GC.KeepAlive(scratch);
        }

        public PackedMatrix B { get; }

        public float[] A { get; }

        public float[] Expected { get; }

        public float[] Actual { get; }

        public int Ars { get; }

        public int Ldc { get; }

        public int Count { get; }

        public nint PanelFloats => (nint)(B.PanelBytes / sizeof(float));

        /// <summary>The first element where the native result differs from the managed one in any bit, or null.</summary>
        public string? Difference(string label)
        {
            GC.KeepAlive(B);
            for (int i = 0; i < Expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(Expected[i]) != BitConverter.SingleToInt32Bits(Actual[i]))
                    return $"{label}: element {i} is {Actual[i]:R}, the managed kernels {Expected[i]:R}";
            return null;
        }
    }

    /// <summary>
    /// The managed reference of the bf16-pair product, scalar: each activation rounded to bf16 as the instruction rounds
    /// it (<see cref="Quantization.ToBf16Activation"/>), each weight read from the packed pairs (a bf16 denormal counts as
    /// zero, as <c>vdpbf16ps</c> treats it), the exact float32 products summed in float32 in k order, then
    /// <c>C (+)= sum</c>. The native kernel sums in another order (pairs, chains), so it agrees exactly where every partial
    /// sum is exact in float32 and otherwise within <paramref name="bound"/> (when given: per element of C,
    /// <see cref="Bf16SummationBound"/> of Σ|terms| + |C|).
    /// </summary>
    internal static void ReferenceBf16Pairs(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* bound = null)
    {
        int nr = b.PanelWidth, w = nr / 2;
        var x = new float[k];
        for (int r = 0; r < m; r++)
        {
            for (int i = 0; i < k; i++)
                x[i] = Quantization.FromBf16(Quantization.ToBf16Activation(a[r * ars + i * acs]));
            for (int p = p0; p < p0 + panelCount; p++)
            {
                ushort* bp = (ushort*)b.PanelData(p);
                for (int j = 0; j < nr; j++)
                {
                    int n = p * nr + j, half = j / w, i = j % w;
                    float sum = 0, magnitude = 0;
                    for (int kk = 0; kk < k; kk++)
                    {
                        ushort wb = bp[(long)(kk >> 1) * 2 * nr + half * 2 * w + 2 * i + (kk & 1)];
                        float term = x[kk] * ((wb & 0x7F80) == 0 ? 0f : Quantization.FromBf16(wb)); // exact: 8-bit × 8-bit significands
                        sum += term;
                        magnitude += Math.Abs(term);
                    }
                    float* cp = c + r * ldc + n;
                    if (bound is not null)
                        bound[r * ldc + n] = Bf16SummationBound(k, magnitude + (accumulate ? Math.Abs(*cp) : 0));
                    *cp = accumulate ? *cp + sum : sum;
                }
            }
        }
        GC.KeepAlive(b);
    }

    /// <summary>
    /// How far two float32 sums of the same k exact terms (plus C) in different orders may differ: each is within
    /// (k + 1)·2⁻²⁴·<paramref name="magnitude"/> of the exact sum (magnitude = Σ|terms| + |C|), so twice that, plus a
    /// whisker for flushed denormals.
    /// </summary>
    internal static float Bf16SummationBound(int k, float magnitude) => 2f * (k + 2) * MathF.Pow(2, -24) * magnitude * 1.0001f + 1e-30f;

    /// <summary>Whether a native result agrees with the reference within <paramref name="bound"/> (NaN with NaN, ∞ with the same ∞).</summary>
    internal static bool Bf16Agrees(float actual, float expected, float bound) =>
        float.IsNaN(expected) ? float.IsNaN(actual)
        : float.IsInfinity(expected) ? actual == expected
        : !(Math.Abs(actual - expected) > bound); // a bound that overflowed to ∞ or NaN accepts any finite result

    /// <summary>
    /// The managed reference of the int8-quad product, scalar: each row quantized over its whole K to uint8 with zero point
    /// 128 (<c>scale = max|x| / 127</c>, <c>q = round_half_even(x · 127 / max)</c>), exact int32 sums, then
    /// <c>C (+)= float(Σ u·w − 128·colSum) · (rowScale · colScale)</c> — the native kernel's result, bit for bit.
    /// Static matrices (<see cref="PackedMatrix.IsStatic"/>) use the fixed <see cref="Quantization.StaticScale"/> of
    /// their range instead, each value saturated to ±127 (<see cref="Quantization.QuantizeSaturated"/>), and a row with
    /// NaN or ±∞ gets scale NaN.
    /// </summary>
    internal static void ReferenceInt8Quads(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate)
    {
        int nr = b.PanelWidth, w = nr / 2;
        var u = new byte[(k + 3) & ~3];
        for (int r = 0; r < m; r++)
        {
            float* x = a + r * ars;
            float scale, inv;
            Array.Fill(u, (byte)128);
            if (b.IsStatic)
            {
                scale = Quantization.StaticScale(b.StaticRange, Quantization.WeightLevels, out inv); // recomputed: checks the packed values
                if (!Quantization.IsFinite(x, acs, k))
                    scale = float.NaN; // the native kernel marks the row the same way; its quantized values do not matter then
                for (int i = 0; i < k; i++)
                    u[i] = (byte)(Quantization.QuantizeSaturated(x[i * acs], inv, Quantization.WeightLevels) + 128);
            }
            else
            {
                scale = Quantization.ActivationScale8(Quantization.MaxAbs(x, acs, k), out inv);
                for (int i = 0; i < k; i++)
                    u[i] = (byte)(Quantization.QuantizeActivation8(x[i * acs], inv) + 128);
            }
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

    /// <summary>
    /// Compares the native int8 kernels with the reference on random shapes (1, 3 and 7 rows; K = 37, 300), bit for bit:
    /// the dynamic kernel <paramref name="f"/>, and the static kernel <paramref name="fs"/> with a calibrated range inside
    /// the data (so values saturate) and one above it, on panels of <paramref name="panelWidth"/> columns (the kernels'
    /// width). Null when all agree.
    /// </summary>
    internal static string? Probe(LstmnInt8Fn f, LstmnInt8StaticFn fs, int panelWidth)
    {
        var rng = new Random(15);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (float range in new[] { 0f, 0.55f, 2.5f })
            foreach (var (m, k, n) in new[] { (1, 37, 96), (3, 300, 64), (7, 64, 40) })
            {
                var b = new PackedMatrix(k, n, panelWidth, CpuPrecision.Int8, int8Quads: true) { StaticRange = range };
                var wts = new float[k * n];
                for (int i = 0; i < wts.Length; i++)
                    wts[i] = (float)(rng.NextDouble() * 2 - 1);
                b.Pack(new ArrayMap(wts, n));
                var a = new float[m * k];
                for (int i = 0; i < a.Length; i++)
                    a[i] = (float)(rng.NextDouble() * 2 - 1);
                int ldc = b.Panels * panelWidth;
                var expected = new float[m * ldc];
                var actual = new float[m * ldc];
                for (int i = 0; i < expected.Length; i++)
                    expected[i] = actual[i] = i % 5;
                fixed (float* ap = a, ep = expected, cp = actual)
                {
                    ReferenceInt8Quads(m, k, ap, k, 1, b, 0, b.Panels, ep, ldc, accumulate: true);
                    int rc = range > 0
                        ? fs(m, k, ap, k, 1, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, 0, b.Panels, b.Scales!.Pointer,
                            (int*)b.ColumnSums!.Pointer, cp, ldc, 1, (byte*)scratch.Pointer, (nint)Sgemm.ScratchFloats * sizeof(float),
                            Quantization.StaticScale(range, Quantization.WeightLevels, out float inverse), inverse)
                        : f(m, k, ap, k, 1, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, 0, b.Panels, b.Scales!.Pointer,
                            (int*)b.ColumnSums!.Pointer, cp, ldc, 1, (byte*)scratch.Pointer, (nint)Sgemm.ScratchFloats * sizeof(float));
                    if (rc != 0)
                        return $"status {rc} at m={m}, k={k}{Scheme(range)}";
                }
                GC.KeepAlive(b);
                for (int i = 0; i < expected.Length; i++)
                    if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                        return $"m={m} k={k} n={n}{Scheme(range)}: element {i} is {actual[i]:R}, the reference {expected[i]:R}";
            }
        GC.KeepAlive(scratch);
        return null;
    }

    private static string Scheme(float range) => range > 0 ? $" (static, range {range})" : "";

    /// <summary>
    /// Compares the native bf16 kernel with the reference: first on values whose products and every partial sum are exact
    /// in float32 (multiples of 1/4 up to 2), where any summation order gives the same bits, so the comparison is exact
    /// (layout, tails, panel pairing, accumulation into C); then on random values, which checks the activations' rounding
    /// within <see cref="Bf16SummationBound"/>. Shapes: batch 1 with odd K and an odd panel count, 3 and 7 rows, odd N.
    /// </summary>
    private static string? ProbeBf16(delegate* unmanaged<int, int, float*, nint, nint, ushort*, nint, int, int, float*, nint, int, byte*, nint, int> f)
    {
        var rng = new Random(16);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (bool exact in new[] { true, false })
            foreach (var (m, k, n) in new[] { (1, 37, 96), (1, 1, 33), (3, 300, 64), (7, 64, 40) })
            {
                float Next() => exact ? rng.Next(-8, 9) / 4f : (float)(rng.NextDouble() * 2 - 1);
                var b = new PackedMatrix(k, n, 32, CpuPrecision.Bf16, bf16Pairs: true);
                var wts = new float[k * n];
                for (int i = 0; i < wts.Length; i++)
                    wts[i] = Next();
                b.Pack(new ArrayMap(wts, n));
                var a = new float[m * k];
                for (int i = 0; i < a.Length; i++)
                    a[i] = Next();
                int ldc = b.Panels * 32;
                var expected = new float[m * ldc];
                var actual = new float[m * ldc];
                var bound = new float[m * ldc];
                for (int i = 0; i < expected.Length; i++)
                    expected[i] = actual[i] = i % 5;
                fixed (float* ap = a, ep = expected, cp = actual, bp = bound)
                {
                    ReferenceBf16Pairs(m, k, ap, k, 1, b, 0, b.Panels, ep, ldc, accumulate: true, bp);
                    int rc = f(m, k, ap, k, 1, (ushort*)b.Buffer.Pointer, (nint)b.PanelBytes, 0, b.Panels, cp, ldc, 1,
                        (byte*)scratch.Pointer, (nint)Sgemm.ScratchFloats * sizeof(float));
                    if (rc != 0)
                        return $"status {rc} at m={m}, k={k}";
                }
                GC.KeepAlive(b);
                for (int i = 0; i < expected.Length; i++)
                    if (exact ? BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]) : !Bf16Agrees(actual[i], expected[i], bound[i]))
                        return $"m={m} k={k} n={n}{(exact ? " (exact sums)" : "")}: element {i} is {actual[i]:R}, the reference {expected[i]:R}";
            }
        GC.KeepAlive(scratch);
        return null;
    }

    /// <summary><c>B[k, n] = w[k · n + n]</c>.</summary>
    internal readonly struct ArrayMap(float[] w, int columns) : IElementMap
    {
        public float Get(int k, int n) => w[k * columns + n];
    }
}
