using LstmNative.Cli;
using LstmNative.Cli.Commands;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary>An output too large for one array is refused before the run, naming the output and its shape (issue 18, item 6).</summary>
public class OutputSizesTests
{
    [Test]
    public void AnOutputBeyondOneArrayIsRefusedWithItsShape()
    {
        // T = 10⁵, B = 10³, H = 256: 2.56·10¹⁰ values, the case that used to fail after the work was done.
        var e = Assert.Throws<CliException>(() => OutputSizes.Check("Y", 100_000, 1, 1_000, 256))!;
        Assert.That(e.Message, Does.Contain("output Y would hold 25,600,000,000 values ([100000, 1, 1000, 256])").And.Contain("fewer steps"));
        Assert.DoesNotThrow(() => OutputSizes.Check("Y", 1_000, 1, 1_000, 256));
        Assert.Throws<CliException>(() => OutputSizes.Check("Y", long.MaxValue, long.MaxValue), "no overflow in the product itself");
    }
}
