using LstmNative.Cli;

// lstmnative: run and differentiate ONNX LSTM/GRU models on .npy data, and the demo job.
return CliApp.Run(args, Console.Out, Console.Error);
