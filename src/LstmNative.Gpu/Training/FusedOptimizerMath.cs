namespace LstmNative.Gpu.Training;

/// <summary>
/// The host mirror of kernels/optimizer.cu, operation for operation in float (and double where the kernel uses
/// double). It is what the tests compare with LstmNative.Training's Sgd/Adam/AdamW, and what the CPU emulation of the
/// device runs; the kernel uses round-to-nearest intrinsics so that no FMA contraction makes it differ.
/// </summary>
internal static class FusedOptimizerMath
{
    /// <summary>lntr_optimizer_prepare.</summary>
    public static void Prepare(in OptimizerParams p, ref DeviceScalars s)
    {
        int t = s.Step + 1;
        s.Step = t;
        double lr = s.LearningRate;
        if (p.Kind != OptimizerKind.Sgd)
        {
            s.StepSize = (float)(lr / (1.0 - Math.Pow(p.Beta1D, t)));
            s.SqrtBc2 = (float)Math.Sqrt(1.0 - Math.Pow(p.Beta2D, t));
            s.Shrink = p.Kind == OptimizerKind.AdamW ? (float)(1.0 - lr * p.WeightDecayD) : 1.0f;
        }
        s.ApplyClip = 0;
        s.ClipFactor = 1.0f;
        if (p.ClipMode == GradientClipMode.GlobalNorm)
        {
            double norm = Math.Sqrt(s.GradSq);
            double factor = p.MaxNorm / (norm + 1e-6);
            s.GradNorm = norm;
            if (factor < 1.0)
            {
                s.ApplyClip = 1;
                s.ClipFactor = (float)factor;
            }
        }
    }

    /// <summary>lntr_optimizer_update over every element.</summary>
    public static void Update(in OptimizerParams p, in DeviceScalars s, Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v)
    {
        bool applyNorm = p.ClipMode == GradientClipMode.GlobalNorm && s.ApplyClip != 0;
        for (int i = 0; i < param.Length; i++)
        {
            float g = grad[i];
            if (p.ClipMode == GradientClipMode.Value)
                g = g < -p.ClipValue ? -p.ClipValue : g > p.ClipValue ? p.ClipValue : g;
            else if (applyNorm)
                g *= s.ClipFactor;
            float value = param[i];
            if (p.Kind == OptimizerKind.Sgd)
            {
                float lr = (float)s.LearningRate;
                g += p.WeightDecay * value;
                if (!m.IsEmpty)
                {
                    float keep = 1.0f - p.Dampening;
                    float buf = s.Step == 1 ? g : p.Momentum * m[i] + keep * g;
                    m[i] = buf;
                    g = p.Nesterov != 0 ? g + p.Momentum * buf : buf;
                }
                param[i] = value - lr * g;
            }
            else
            {
                float l2 = p.Kind == OptimizerKind.AdamW ? 0.0f : p.WeightDecay;
                g += l2 * value;
                value *= s.Shrink;
                float mi = p.Beta1 * m[i] + (1.0f - p.Beta1) * g;
                float vi = p.Beta2 * v[i] + (1.0f - p.Beta2) * g * g;
                m[i] = mi;
                v[i] = vi;
                float denom = MathF.Sqrt(vi) / s.SqrtBc2 + p.Eps;
                param[i] = value - s.StepSize * mi / denom;
            }
        }
    }

    /// <summary>The kernel parameters for <paramref name="settings"/> and <paramref name="clip"/> (pointers left zero).</summary>
    public static OptimizerParams Parameters(DeviceOptimizerSettings settings, DeviceGradientClip clip, long count) => new()
    {
        Count = count,
        Kind = (OptimizerKind)settings.Kind,
        ClipMode = clip.Mode,
        ClipValue = clip.Mode == GradientClipMode.Value ? (float)clip.Limit : 0f,
        MaxNorm = clip.Mode == GradientClipMode.GlobalNorm ? clip.Limit : 0,
        Beta1D = settings.Beta1,
        Beta2D = settings.Beta2,
        WeightDecayD = settings.WeightDecay,
        Beta1 = (float)settings.Beta1,
        Beta2 = (float)settings.Beta2,
        Eps = (float)settings.Eps,
        WeightDecay = (float)settings.WeightDecay,
        Momentum = (float)settings.Momentum,
        Dampening = (float)settings.Dampening,
        Nesterov = settings.Nesterov ? 1 : 0,
    };
}
