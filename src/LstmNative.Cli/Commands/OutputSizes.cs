using System.Globalization;

namespace LstmNative.Cli.Commands;

/// <summary>
/// Refuses, before any work, an output that no .NET array (and so no .npy this tool writes) can hold: a run of hours
/// must not end in an overflow while its results are being written.
/// </summary>
internal static class OutputSizes
{
    /// <summary>Throws a <see cref="CliException"/> naming <paramref name="output"/> and its shape when it is too large.</summary>
    public static void Check(string output, params long[] shape)
    {
        Int128 count = 1;
        foreach (long d in shape)
            count *= d;
        if (count > Array.MaxLength)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"output {output} would hold {count:N0} values ([{string.Join(", ", shape)}]), more than one array holds ({Array.MaxLength:N0}): run fewer steps or a smaller batch"));
    }
}
