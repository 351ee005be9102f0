namespace LstmNative.Gpu.Training;

/// <summary>The training kernels (kernels/rnn_train_forward.cu, rnn_backward.cu, optimizer.cu, clip.cu, loss.cu).</summary>
internal enum TrainingKernel
{
    LstmForwardStep,
    LstmForwardStepGeneral,
    GruForwardStep,
    GruForwardStepGeneral,
    GruForwardRz,
    GruForwardRzGeneral,
    GruForwardN,
    GruForwardNGeneral,
    LstmBackwardStep,
    LstmBackwardStepGeneral,
    GruBackwardStep,
    GruBackwardStepGeneral,
    GruBackwardZn,
    GruBackwardZnGeneral,
    GruBackwardR,
    GruBackwardRGeneral,
    GatherFirstStep,
    BiasGradColumns,
    PeepholeGradReduce,
    DropoutForward,
    DropoutBackward,
    AddBiasRows,
    OptimizerPrepare,
    OptimizerUpdate,
    SquaredNormPartials,
    SquaredNormFinish,
    LossPointwise,
    LossFinish,
}

/// <summary>The <c>extern "C"</c> names of the training kernels, by <see cref="TrainingKernel"/>.</summary>
public static class TrainingKernelNames
{
    private static readonly string[] Names =
    [
        "lntr_lstm_forward_step",
        "lntr_lstm_forward_step_general",
        "lntr_gru_forward_step",
        "lntr_gru_forward_step_general",
        "lntr_gru_forward_rz",
        "lntr_gru_forward_rz_general",
        "lntr_gru_forward_n",
        "lntr_gru_forward_n_general",
        "lntr_lstm_backward_step",
        "lntr_lstm_backward_step_general",
        "lntr_gru_backward_step",
        "lntr_gru_backward_step_general",
        "lntr_gru_backward_zn",
        "lntr_gru_backward_zn_general",
        "lntr_gru_backward_r",
        "lntr_gru_backward_r_general",
        "lntr_gather_first_step",
        "lntr_bias_grad_columns",
        "lntr_peephole_grad_reduce",
        "lntr_dropout_forward",
        "lntr_dropout_backward",
        "lntr_add_bias_rows",
        "lntr_optimizer_prepare",
        "lntr_optimizer_update",
        "lntr_sq_norm_partials",
        "lntr_sq_norm_finish",
        "lntr_loss_pointwise",
        "lntr_loss_finish",
    ];

    /// <summary>Every training kernel's name, in <see cref="TrainingKernel"/> order.</summary>
    public static IReadOnlyList<string> All => Names;

    internal static string Of(TrainingKernel kernel) => Names[(int)kernel];
}
