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
        var parsed = Parse(args, stdout, stderr, out int? usage);
        if (usage is { } code || parsed is null)
            return usage ?? Usage;
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

    /// <summary>
    /// Parses the command line (the options' validators included) without running anything: a malformed command line
    /// is reported as one line on <paramref name="stderr"/> and <paramref name="usage"/> is set to the exit code.
    /// The fuzz target <c>cli</c> drives this.
    /// </summary>
    internal static ParseResult? Parse(string[] args, TextWriter stdout, TextWriter stderr, out int? usage)
    {
        var root = new RootCommand("lstmnative: a fast LSTM/GRU engine for .NET")
        {
            RunCommand.Create(stdout, stderr),
            BackwardCommand.Create(stdout),
            DemoCommand.Create(stdout),
            ExportCommand.Create(stdout),
            ForecastCommand.Create(stdout, stderr),
            PredictCommand.Create(stdout),
            GateCommand.Create(stdout, stderr),
            TranslateCommand.Create(stdout, stderr),
        };
        ParseResult parsed;
        try
        {
            parsed = root.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // Found by the cli fuzz target: a NUL in a path, or a validator reading a number that does not parse, throws
            // from inside the parser instead of becoming a parse error.
            stderr.WriteLine($"lstmnative: error: {OneLine(e.Message)} (see 'lstmnative --help')");
            usage = Usage;
            return null;
        }
        usage = null;
        bool wantsHelp = args.Any(a => a is "-h" or "--help" or "-?" or "--version");
        if (parsed.Errors.Count > 0 && !wantsHelp)
        {
            stderr.WriteLine($"lstmnative: error: {OneLine(FirstError(parsed))} (see '{CommandPath(parsed)} --help')");
            usage = Usage;
        }
        return parsed;
    }

    /// <summary>
    /// The error to show. A word the parser did not recognise comes first: for <c>lstmnative frobnicate</c> the parser
    /// also says "Required command was not provided", which hides the typo that caused it.
    /// </summary>
    private static string FirstError(ParseResult parsed)
    {
        foreach (var error in parsed.Errors)
            if (parsed.UnmatchedTokens.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
                return error.Message;
        return parsed.Errors[0].Message;
    }

    /// <summary>The full name of the command the error is in, e.g. <c>lstmnative translate eval</c>, for the help hint.</summary>
    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            if (result.Command is not RootCommand)
                names.Insert(0, result.Command.Name);
        return string.Join(' ', names.Prepend("lstmnative"));
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
        OverflowException => $"a size is too large to compute with: {e.Message}",
        _ => $"internal error ({e.GetType().Name}): {e.Message}",
    });

    /// <summary>
    /// A message on one line. Line breaks and tabs (System.CommandLine puts a tab before each allowed value) become
    /// spaces, so they do not show as <c>\u0009</c>; other control characters are escaped by <see cref="Printable"/>.
    /// </summary>
    private static string OneLine(string s)
    {
        s = System.Text.RegularExpressions.Regex.Replace(s.ReplaceLineEndings(" ").Replace('\t', ' '), " {2,}", " ").Trim();
        return Printable(s, MaxMessage);
    }

    private const int MaxMessage = 2000;

    /// <summary>
    /// Text from a file or the command line made safe to print: control characters (which could drive the terminal)
    /// escaped as <c>\uXXXX</c>, and cut to <paramref name="max"/> characters with the full length noted.
    /// </summary>
    internal static string Printable(string s, int max = 120)
    {
        int n = Math.Min(s.Length, max);
        var b = new System.Text.StringBuilder(n + 16);
        for (int i = 0; i < n; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                b.Append(c).Append(s[++i]);
                continue;
            }
            if (char.IsControl(c) || char.IsSurrogate(c))
                b.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                b.Append(c);
        }
        if (s.Length > max)
            b.Append(System.Globalization.CultureInfo.InvariantCulture, $"… ({s.Length} characters)");
        return b.ToString();
    }
}

/// <summary>An error in what the user asked for, reported as one line.</summary>
internal sealed class CliException(string message) : Exception(message);
