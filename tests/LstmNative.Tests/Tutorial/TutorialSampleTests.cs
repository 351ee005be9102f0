using LstmNative.Tutorial;
using NUnit.Framework;

namespace LstmNative.Tests.Tutorial;

/// <summary>
/// Every tutorial sample (samples/LstmNative.Tutorial) runs in quick mode and passes its own checks, so none can rot
/// as the API changes (issue 19, "Done when").
/// </summary>
public class TutorialSampleTests
{
    private static IEnumerable<string> Names() => TutorialSamples.All.Select(s => s.Name);

    [Test]
    public void TheTutorialHasItsElevenSamples() =>
        Assert.That(Names(), Is.EqualTo(new[]
        {
            "cell-equations", "bilstm", "clipping", "plateau", "batchnorm", "forecaster", "embedding", "cnn-lstm", "quantize", "gru-init", "diagnostics",
        }));

    [TestCaseSource(nameof(Names))]
    public void SampleRunsAndPassesItsChecks(string name)
    {
        var sample = TutorialSamples.Find(name)!;
        string dir = Path.Combine(Path.GetTempPath(), "lstmnative-tutorial-" + Guid.NewGuid().ToString("N"));
        using var output = new StringWriter();
        try
        {
            Assert.DoesNotThrow(() => sample.Run(new SampleContext(output, Quick: true, dir)), output.ToString());
            Assert.That(output.ToString(), Is.Not.Empty, "a sample prints what it shows");
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void AFailedCheckIsReported()
    {
        var context = new SampleContext(TextWriter.Null, Quick: true, Path.GetTempPath());
        Assert.That(() => context.Require(false, "why"), Throws.TypeOf<SampleFailedException>().With.Message.EqualTo("why"));
    }
}
