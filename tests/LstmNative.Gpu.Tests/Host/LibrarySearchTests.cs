using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Host;

/// <summary>The order in which CUDA libraries are looked for: pure logic, no GPU needed.</summary>
public class LibrarySearchTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Test]
    public void CublasPrefersNewestSonameEverywhereBeforeOlderOnes()
    {
        var candidates = LibrarySearch.Candidates(CudaLibrary.Cublas, Env(), ["/site"]);
        int First(string soname) => candidates.ToList().FindIndex(c => c.EndsWith(soname, StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(candidates, Does.Contain("libcublas.so.13"));
            Assert.That(candidates, Does.Contain("libcublas.so.12"));
            Assert.That(candidates, Does.Contain("libcublas.so.11"));
            Assert.That(First("libcublas.so.13"), Is.LessThan(First("libcublas.so.12")));
            Assert.That(First("libcublas.so.12"), Is.LessThan(First("libcublas.so.11")));
            // every .13 location (system loader, toolkit, wheels) comes before any .12 one
            Assert.That(candidates.ToList().FindLastIndex(c => c.EndsWith(".so.13", StringComparison.Ordinal)), Is.LessThan(First("libcublas.so.12")));
        });
    }

    [Test]
    public void PythonWheelLayoutsAreSearched()
    {
        var cublas = LibrarySearch.Candidates(CudaLibrary.Cublas, Env(), ["/venv/lib/python3.12/site-packages"]);
        var cudnn = LibrarySearch.Candidates(CudaLibrary.Cudnn, Env(), ["/venv/lib/python3.12/site-packages"]);
        Assert.Multiple(() =>
        {
            Assert.That(cublas, Does.Contain("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13"));
            Assert.That(cublas, Does.Contain("/venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12"));
            Assert.That(cudnn, Does.Contain("/venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9"));
            Assert.That(cudnn, Does.Contain("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcudnn.so.9"));
        });
    }

    [Test]
    public void OverrideFileComesFirstThenOverrideFolders()
    {
        var env = Env(
            (LibrarySearch.CudnnOverrideVariable, "/opt/my/libcudnn.so.9"),
            (LibrarySearch.LibraryPathVariable, "/a:/b"));
        var candidates = LibrarySearch.Candidates(CudaLibrary.Cudnn, env, []);
        Assert.That(candidates.Take(4), Is.EqualTo(new[] { "/opt/my/libcudnn.so.9", "/a/libcudnn.so.9", "/b/libcudnn.so.9", "libcudnn.so.9" }));
    }

    [Test]
    public void SitePackagesFromTheEnvironmentAreSearched()
    {
        var env = Env((LibrarySearch.SitePackagesVariable, "/wheels"));
        Assert.That(LibrarySearch.Candidates(CudaLibrary.Cublas, env, []), Does.Contain("/wheels/nvidia/cu13/lib/libcublas.so.13"));
    }

    [Test]
    public void ToolkitFoldersFromCudaPathAreSearched()
    {
        var env = Env(("CUDA_PATH", "/usr/local/cuda-13.0"));
        Assert.That(LibrarySearch.Candidates(CudaLibrary.Cublas, env, []), Does.Contain("/usr/local/cuda-13.0/lib64/libcublas.so.13"));
    }

    [Test]
    public void DriverIsLibcudaSoOneFromTheDriverFoldersNeverFromWheels()
    {
        var candidates = LibrarySearch.Candidates(CudaLibrary.Driver, Env(), ["/site"]);
        Assert.Multiple(() =>
        {
            Assert.That(candidates[0], Is.EqualTo("libcuda.so.1"));
            Assert.That(candidates, Does.Contain("/usr/lib/x86_64-linux-gnu/libcuda.so.1"));
            Assert.That(candidates.Any(c => c.StartsWith("/site", StringComparison.Ordinal)), Is.False);
        });
    }

    [Test]
    public void WindowsNamesAreTheDlls()
    {
        Assert.Multiple(() =>
        {
            Assert.That(LibrarySearch.Candidates(CudaLibrary.Driver, Env(), [], windows: true), Does.Contain("nvcuda.dll"));
            Assert.That(LibrarySearch.Candidates(CudaLibrary.Cublas, Env(), [], windows: true), Does.Contain("cublas64_13.dll"));
            Assert.That(LibrarySearch.Candidates(CudaLibrary.Cudnn, Env(), [], windows: true), Does.Contain("cudnn64_9.dll"));
        });
    }

    [Test]
    public void VirtualEnvironmentsUnderAToolFolderAreFound()
    {
        // The GPU machines keep PyTorch and NVIDIA's wheels in e.g. /opt/torch/.venv, not on PATH and not activated.
        var root = Path.Combine(Path.GetTempPath(), "lstmnative-venvs-" + Guid.NewGuid().ToString("N"));
        try
        {
            var dotVenv = Directory.CreateDirectory(Path.Combine(root, "torch", ".venv")).FullName;
            var plainVenv = Directory.CreateDirectory(Path.Combine(root, "tools", "venv")).FullName;
            Directory.CreateDirectory(Path.Combine(root, "other", "lib"));
            Assert.That(LibrarySearch.OptVirtualEnvironments(root), Is.EqualTo(new[] { plainVenv, dotVenv }), "tools/venv sorts before torch/.venv");
            Assert.That(LibrarySearch.OptVirtualEnvironments(Path.Combine(root, "missing")), Is.Empty);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public void DefaultSitePackagesListsOnlyExistingFolders()
    {
        foreach (var folder in LibrarySearch.DefaultSitePackages())
            Assert.That(Directory.Exists(folder), folder);
    }
}
