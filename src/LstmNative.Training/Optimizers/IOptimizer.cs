namespace LstmNative.Training.Optimizers;

/// <summary>
/// What a learning-rate scheduler drives, whatever the optimizer's element type: PyTorch's schedulers take the
/// optimizer (<c>ReduceLROnPlateau(optimizer, ...)</c>) and write its rate on every step; this is that handle.
/// </summary>
public interface IOptimizer
{
    /// <summary>The learning rate of the next step.</summary>
    double LearningRate { get; set; }
}
