namespace LstmNative.Cli.Commands;

/// <summary>
/// Reports synchronously on the training thread, where the progress display lives (<see cref="Progress{T}"/> would post
/// each report to the thread pool, out of order and after training has moved on).
/// </summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
