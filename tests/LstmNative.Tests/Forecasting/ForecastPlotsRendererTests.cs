using System.Diagnostics;
using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary><see cref="ForecastPlots.EnsureRenderer"/>: a plot library that cannot load is named in one line, before any work.</summary>
public sealed class ForecastPlotsRendererTests
{
    // What .NET 10 on Linux reports when libSkiaSharp.so is missing, as ScottPlot's font table meets it.
    private static Exception MissingSkia() => new TypeInitializationException("ScottPlot.Fonts", new TypeInitializationException("SkiaSharp.SKTypeface",
        new DllNotFoundException("Unable to load shared library 'libSkiaSharp' or one of its dependencies. In order to help diagnose loading problems, " +
            "consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n" +
            "/opt/app/runtimes/linux-x64/native/libSkiaSharp.so: cannot open shared object file: No such file or directory\n" +
            "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libSkiaSharp.so: cannot open shared object file: No such file or directory\n")));

    [Test]
    public void ALibraryThatDoesNotLoadIsNamedWithWhatToDo()
    {
        var failure = ForecastPlots.ProbeRenderer(() => throw MissingSkia());
        Assert.That(failure, Is.Not.Null);
        Assert.That(failure!.Message, Is.EqualTo("cannot draw the plots: Unable to load shared library 'libSkiaSharp' or one of its dependencies " +
            "(/opt/app/runtimes/linux-x64/native/libSkiaSharp.so: cannot open shared object file: No such file or directory); restore SkiaSharp's " +
            "native library beside the program (runtimes/<platform>/native/, from the package SkiaSharp.NativeAssets.Linux.NoDependencies on Linux), " +
            "e.g. by reinstalling or republishing it"));
        Assert.That(failure.InnerException, Is.InstanceOf<TypeInitializationException>(), "the original failure is kept");
        // Any other failure is reported from its innermost cause.
        var other = ForecastPlots.ProbeRenderer(() => throw new TypeInitializationException("ScottPlot.Fonts", new InvalidOperationException("no usable font.")));
        Assert.That(other!.Message, Is.EqualTo("cannot draw the plots: no usable font"));
    }

    [Test]
    public void AWorkingRendererPassesAndIsProbedOnce()
    {
        Assert.That(ForecastPlots.ProbeRenderer(() => { }), Is.Null);
        var clock = Stopwatch.StartNew();
        ForecastPlots.EnsureRenderer();
        double first = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        ForecastPlots.EnsureRenderer();
        TestContext.Out.WriteLine($"first check {first:F1} ms (or less, when another test drew first), then {clock.Elapsed.TotalMilliseconds:F3} ms");
        Assert.That(clock.Elapsed.TotalMilliseconds, Is.LessThan(50), "the result is kept");
    }
}
