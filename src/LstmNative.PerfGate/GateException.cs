namespace LstmNative.PerfGate;

/// <summary>
/// Something the gate cannot judge: a missing or malformed baseline, a baseline from another suite, a model that does not
/// load, a bad suite file. The command reports it as one line and exits with 2, writing nothing.
/// </summary>
internal sealed class GateException : Exception
{
    /// <summary>Creates the exception with a message that says what was expected and what was found.</summary>
    public GateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception, keeping the cause.</summary>
    public GateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public GateException()
        : base("the performance gate cannot judge this run")
    {
    }
}
