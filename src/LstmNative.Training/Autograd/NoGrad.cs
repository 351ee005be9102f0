namespace LstmNative.Training.Autograd;

/// <summary>
/// <c>using (NoGrad.Enter()) { ... }</c>: operations inside build no graph (PyTorch's <c>torch.no_grad()</c>), for
/// evaluation and decoding. Per thread; scopes nest.
/// </summary>
public static class NoGrad
{
    [ThreadStatic]
    private static int _depth;

    /// <summary>Whether the calling thread is inside a scope.</summary>
    public static bool IsActive => _depth > 0;

    /// <summary>Enters a scope; dispose to leave it.</summary>
    public static Scope Enter()
    {
        _depth++;
        return default;
    }

    /// <summary>A no-grad scope of the calling thread.</summary>
    public readonly struct Scope : IDisposable
    {
        /// <summary>Leaves the scope.</summary>
        public void Dispose() => _depth--;
    }
}
