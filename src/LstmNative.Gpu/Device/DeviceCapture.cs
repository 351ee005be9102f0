
namespace LstmNative.Gpu.Device;

/// <summary>Capturing what a piece of host code queues into a graph.</summary>
internal static class DeviceCapture
{
    /// <summary>
    /// Records what <paramref name="work"/> queues on <paramref name="queue"/> into a graph without running it; a capture
    /// that throws is abandoned (the queue is usable again) and the first error kept.
    /// </summary>
    public static IDeviceGraph Capture(this IDeviceQueue queue, Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        queue.BeginCapture();
        try
        {
            work();
        }
        catch
        {
            queue.AbandonCapture();
            throw;
        }
        return queue.EndCapture();
    }
}
