using LstmNative.Formats;
using LstmNative.Onnx;
using NUnit.Framework;

namespace LstmNative.Tests.Formats;

/// <summary>Whole-file reads of models and tensors: regular files only, and never more bytes than the file's size.</summary>
public class InputFileTests
{
    [Test]
    public void ARegularFileIsReadWhole()
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"input-file-{Guid.NewGuid():N}.bin");
        var data = new byte[70_001];
        new Random(TestContext.CurrentContext.Random.Next()).NextBytes(data);
        File.WriteAllBytes(path, data);
        try
        {
            Assert.That(InputFile.ReadAllBytes(path), Is.EqualTo(data));
            File.WriteAllBytes(path, []);
            Assert.That(InputFile.ReadAllBytes(path), Is.Empty);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ADeviceThatNeverEndsIsRefusedAtOnceInsteadOfFillingTheMemory()
    {
        if (!File.Exists("/dev/zero"))
            Assert.Ignore("no /dev/zero on this system");
        // Found by the CLI audit: 'run /dev/zero' read for 15 s, then failed with out of memory.
        var e = Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load("/dev/zero"));
        Assert.That(e!.Message, Does.StartWith("/dev/zero: is not a regular file"));
    }

    [Test]
    public void AFolderAndAMissingFileAreSaidForWhatTheyAre()
    {
        string dir = TestContext.CurrentContext.WorkDirectory;
        Assert.That(Assert.Throws<ModelFormatException>(() => InputFile.ReadAllBytes(dir))!.Message, Does.Contain("is a folder, not a file"));
        Assert.Throws<FileNotFoundException>(() => InputFile.ReadAllBytes(Path.Combine(dir, $"absent-{Guid.NewGuid():N}.onnx")));
    }
}
