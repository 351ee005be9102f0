using LstmNative.Formats;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Formats;

public class AtomicFileTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lstmnative-atomic-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void MissingDirectoryGivesAClearError()
    {
        string missing = Path.Combine(_dir, "no-such-dir");
        string path = Path.Combine(missing, "a.npy");
        var e = Assert.Throws<DirectoryNotFoundException>(() => NpyWriter.Write(path, NdArray.FromFloats([1f], 1)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Message, Does.Contain(path).And.Contain($"directory '{missing}' does not exist"));
            Assert.That(Directory.Exists(missing), Is.False);
        }
    }

    [Test]
    public void FailedWriteLeavesTheTargetUntouched()
    {
        string path = Path.Combine(_dir, "a.npy");
        NpyWriter.Write(path, NdArray.FromFloats([1f, 2f], 2));
        byte[] before = File.ReadAllBytes(path);

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("simulated full disk");
        }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Message, Is.EqualTo("simulated full disk"));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
            Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { path }), "the temporary file is removed");
        }
    }

    [Test]
    public void FailedFirstWriteLeavesNoFile()
    {
        string path = Path.Combine(_dir, "new.npy");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, _ => throw new InvalidOperationException("no")));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
    }

    [Test]
    public void ReplacesAnExistingFile()
    {
        string path = Path.Combine(_dir, "a.npy");
        NpyWriter.Write(path, NdArray.FromFloats([1f, 2f], 2));
        NpyWriter.Write(path, NdArray.FromDoubles([3, 4, 5], 3));
        var back = NpyReader.Read(path);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(back.Data, Is.EqualTo(new double[] { 3, 4, 5 }));
            Assert.That(Directory.GetFileSystemEntries(_dir), Has.Length.EqualTo(1));
        }
    }

    [Test]
    public void TargetThatIsADirectoryIsRefused()
    {
        string path = Path.Combine(_dir, "sub");
        Directory.CreateDirectory(path);
        var e = Assert.Throws<IOException>(() => NpyWriter.Write(path, NdArray.FromFloats([1f], 1)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Message, Does.Contain("a directory of that name exists"));
            Assert.That(Directory.Exists(path), Is.True);
        }
    }
}
