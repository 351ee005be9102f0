using LstmNative.Tutorial.Samples;

namespace LstmNative.Tutorial;

/// <summary>The tutorial's samples, in the tutorial's order.</summary>
public static class TutorialSamples
{
    /// <summary>Every sample.</summary>
    public static IReadOnlyList<Sample> All { get; } =
    [
        new("cell-equations", "LstmCell against the gate equations written out by hand", CellEquations.Run),
        new("bilstm", "a bidirectional LSTM classifier; output and h_n shapes, PyTorch's parameter count", BiLstm.Run),
        new("clipping", "exploding gradients on a long sequence, clipped by global norm and by value", Clipping.Run),
        new("plateau", "ReduceLROnPlateau bound to its optimizer", Plateau.Run),
        new("batchnorm", "BatchNorm1d between two LSTM layers", BatchNormBetweenLstms.Run),
        new("forecaster", "MinMaxScaler + sliding windows + LSTM forecaster, scored in data units against persistence", Forecaster.Run),
        new("embedding", "Embedding -> LSTM token classifier with cross-entropy", EmbeddingLstm.Run),
        new("cnn-lstm", "Conv1d + MaxPool1d feature extractor in front of an LSTM", CnnLstm.Run),
        new("quantize", "dynamic int8 quantization of a trained model (Quantize.Dynamic)", DynamicInt8.Run),
        new("gru-init", "GRU with orthogonal recurrent init, PyTorch's init on request, per-layer gradient norms", GruInit.Run),
        new("diagnostics", "gradient-flow and cell-state plots for any model", Diagnostics.Run),
    ];

    /// <summary>The sample named <paramref name="name"/>, or null.</summary>
    public static Sample? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
