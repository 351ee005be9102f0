using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Host;

/// <summary>Loading failures name every path tried; the message tells how to point the resolver elsewhere.</summary>
public class ResolverTests
{
    [Test]
    public void FailureMessageListsEveryAttemptAndTheOverride()
    {
        var e = new CudaLibraryNotFoundException(CudaLibrary.Cudnn, ["libcudnn.so.9: cannot open shared object file", "/x/nvidia/cudnn/lib/libcudnn.so.9: not found"]);
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Does.Contain("libcudnn.so.9: cannot open shared object file"));
            Assert.That(e.Message, Does.Contain("/x/nvidia/cudnn/lib/libcudnn.so.9: not found"));
            Assert.That(e.Message, Does.Contain(LibrarySearch.CudnnOverrideVariable));
            Assert.That(e.Attempts, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void AMissingLibraryThrowsOurExceptionThroughTheImportWithTheAttempts()
    {
        // cuDNN is the library most machines lack; where it exists this check has nothing to show.
        if (NativeLibraryResolver.TryLoad(CudaLibrary.Cudnn, out _, out _))
            Assert.Ignore($"cuDNN is installed here ({NativeLibraryResolver.LoadedFrom(CudaLibrary.Cudnn)}): nothing to fail");
        var e = Assert.Throws<CudaLibraryNotFoundException>(() => CudnnHandle.LibraryVersion());
        Assert.Multiple(() =>
        {
            Assert.That(e!.Library, Is.EqualTo(CudaLibrary.Cudnn));
            Assert.That(e.Attempts.Any(a => a.StartsWith("libcudnn.so.9", StringComparison.Ordinal)), e.Message);
            Assert.That(e.Attempts, Has.Count.EqualTo(LibrarySearch.Candidates(CudaLibrary.Cudnn, Environment.GetEnvironmentVariable, LibrarySearch.DefaultSitePackages()).Count));
        });
        TestContext.Out.WriteLine(e.Message);
    }

    [Test]
    public void TryLoadNeverThrows()
    {
        foreach (var library in Enum.GetValues<CudaLibrary>())
        {
            var loaded = NativeLibraryResolver.TryLoad(library, out var handle, out var attempts);
            Assert.Multiple(() =>
            {
                Assert.That(attempts, Is.Not.Empty, library.ToString());
                Assert.That(handle != 0, Is.EqualTo(loaded), library.ToString());
            });
            TestContext.Out.WriteLine($"{library}: {(loaded ? "loaded from " + NativeLibraryResolver.LoadedFrom(library) : "not found")}");
        }
    }
}
