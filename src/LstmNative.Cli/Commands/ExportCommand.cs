using System.CommandLine;
using LstmNative.Formats;
using LstmNative.Onnx;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative export MODEL.safetensors --onnx OUT.onnx [--prefix P] [--batch-first] [--initial-states]</c>: writes
/// PyTorch nn.LSTM/nn.GRU weights as an ONNX model (one RNN node per layer, gates reordered for ONNX) that ONNX Runtime
/// and <c>lstmnative run</c> both execute.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "safetensors file with nn.LSTM/nn.GRU weights (state_dict names)" };
        var onnx = new Option<FileInfo>("--onnx") { Description = "the ONNX file to write", Required = true };
        var prefix = RunOptions.Prefix();
        var batchFirst = RunOptions.BatchFirst();
        var states = new Option<bool>("--initial-states") { Description = "add h0 (and c0) graph inputs instead of starting from zeros" };
        var verbose = CommonOptions.Verbose();
        var command = new Command("export", "write a safetensors LSTM/GRU as an ONNX model") { model, onnx, prefix, batchFirst, states, verbose };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(model)!;
            if (!StateDictRun.Handles(file))
                throw new CliException($"export reads .safetensors files, got '{file.Name}'");
            var rnn = StateDictRun.LoadModel<float>(file, parse.GetValue(prefix), parse.GetValue(batchFirst));
            var target = parse.GetValue(onnx)!;
            CommonOptions.RefuseOverwrite(target.FullName, "--onnx", file.FullName, "the model being exported");
            OnnxExporter.Save(target.FullName, rnn, new OnnxExportOptions { IncludeInitialStates = parse.GetValue(states) });
            if (parse.GetValue(verbose))
                stdout.WriteLine($"wrote {target.FullName}: {rnn.Options.Cell.ToString().ToUpperInvariant()} with {rnn.Options.NumLayers} layer(s), inputs input{(parse.GetValue(states) ? ", h0" : "")}");
            return CliApp.Ok;
        });
        return command;
    }
}

/// <summary>The options that describe how to read a safetensors model (shared by run and export).</summary>
internal static class RunOptions
{
    public static Option<string> Prefix() => new("--prefix")
    {
        Description = "safetensors only: the RNN module's name in a larger model (e.g. encoder.lstm); found automatically when the file holds one",
    };

    public static Option<bool> BatchFirst() => new("--batch-first")
    {
        Description = "safetensors only: input and output are [batch, seq, features] (PyTorch batch_first=True)",
    };
}
