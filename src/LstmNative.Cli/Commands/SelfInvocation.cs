using System.Runtime.InteropServices;
using LstmNative.PerfGate.Measurement;

namespace LstmNative.Cli.Commands;

/// <summary>How this CLI starts another copy of itself for the gate's measurement processes.</summary>
internal static class SelfInvocation
{
    /// <summary>
    /// The dotnet host running <c>lstmnative.dll gate worker</c>. Works whether the CLI was started through its
    /// apphost, through <c>dotnet lstmnative.dll</c>, or in-process by a test host, because it names the CLI's own
    /// assembly and the host of the runtime that is running now.
    /// </summary>
    public static WorkerLaunch GateWorker()
    {
        string assembly = typeof(SelfInvocation).Assembly.Location;
        if (assembly.Length == 0)
            throw new PerfGate.GateException("cannot start measurement processes from a single-file build; pass --launches 1");
        return new WorkerLaunch(DotnetHost(), ["exec", assembly, "gate", "worker"]);
    }

    private static string DotnetHost()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } process && Path.GetFileName(process) == exe)
            return process;
        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/, the host in <root>.
        string root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string host = Path.Combine(root, exe);
        if (File.Exists(host))
            return host;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromSdk && File.Exists(fromSdk) ? fromSdk : exe;
    }
}
