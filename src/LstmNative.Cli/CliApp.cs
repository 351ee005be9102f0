using System.CommandLine;
using LstmNative.Cli.Commands;

namespace LstmNative.Cli;

/// <summary>
/// Builds the command tree and turns every failure into one line on stderr and a non-zero exit code:
/// 1 for a failed job (bad file, bad shape, unsupported model), 2 for a malformed command line.
/// </summary>
internal static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("lstmnative: a fast LSTM/GRU engine for .NET")
        {
            RunCommand.Create(stdout, stderr),
            BackwardCommand.Create(stdout),
            DemoCommand.Create(stdout),
            ExportCommand.Create(stdout),
            ForecastCommand.Create(stdout, stderr),
            GateCommand.Create(stdout, stderr),
        };
        var parsed = root.Parse(args);
        bool wantsHelp = args.Any(a => a is "-h" or "--help" or "-?" or "--version");
        if (parsed.Errors.Count > 0 && !wantsHelp)
        {
            var command = parsed.CommandResult.Command;
            string where = command is RootCommand ? "lstmnative" : $"lstmnative {command.Name}";
            stderr.WriteLine($"lstmnative: error: {OneLine(parsed.Errors[0].Message)} (see '{where} --help')");
            return Usage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            stderr.WriteLine($"lstmnative: error: {Describe(e)}");
            return Failed;
        }
    }

    /// <summary>The one-line message for an exception: what was expected and what was found, never a stack trace.</summary>
    internal static string Describe(Exception e) => OneLine(e switch
    {
        CliException or ArgumentException or FormatException or NotSupportedException or InvalidDataException
            or Training.Data.DataFormatException => e.Message,
        FileNotFoundException f => $"file not found: {f.FileName ?? f.Message}",
        DirectoryNotFoundException d => $"directory not found: {d.Message}",
        UnauthorizedAccessException u => $"permission denied: {u.Message}",
        IOException io => io.Message,
        OutOfMemoryException => "out of memory: the model or the data is too large for this machine",
        _ => $"internal error ({e.GetType().Name}): {e.Message}",
    });

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}

/// <summary>An error in what the user asked for, reported as one line.</summary>
internal sealed class CliException(string message) : Exception(message);
