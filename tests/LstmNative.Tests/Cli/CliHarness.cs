using LstmNative.Cli;

namespace LstmNative.Tests.Cli;

/// <summary>Runs the CLI in-process and captures its exit code and streams; gives each test its own temp folder.</summary>
public sealed class CliHarness : IDisposable
{
    public CliHarness()
    {
        Root = Directory.CreateTempSubdirectory("lstmnative-cli-").FullName;
    }

    public string Root { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Root, name);

    public (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = CliApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
