namespace LstmNative.Tutorial;

/// <summary>One tutorial sample: a name for the command line, a one-line summary, and the code.</summary>
/// <param name="Name">The command-line name (<c>dotnet run -- NAME</c>).</param>
/// <param name="Summary">What it shows.</param>
/// <param name="Run">The sample.</param>
public sealed record Sample(string Name, string Summary, Action<SampleContext> Run);

/// <summary>What a sample runs with: where it writes, whether to run briefly (tests), and where files go.</summary>
/// <param name="Output">Where the sample prints.</param>
/// <param name="Quick">Fewer epochs and smaller data: the test suite runs every sample this way.</param>
/// <param name="OutputDirectory">Where samples that write files (plots) put them.</param>
public sealed record SampleContext(TextWriter Output, bool Quick, string OutputDirectory)
{
    /// <summary>Epochs to train: <paramref name="full"/>, or <paramref name="quick"/> in quick mode.</summary>
    public int Epochs(int full, int quick) => Quick ? quick : full;

    /// <summary>Fails the sample with <paramref name="message"/> unless <paramref name="condition"/> holds: every sample checks its result.</summary>
    public void Require(bool condition, string message)
    {
        if (!condition)
            throw new SampleFailedException(message);
    }

    /// <summary>Prints a line.</summary>
    public void Print(string line) => Output.WriteLine(line);
}

/// <summary>A sample's own check of its result failed.</summary>
public sealed class SampleFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SampleFailedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SampleFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SampleFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
