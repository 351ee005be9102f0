namespace LstmNative.Gpu.Tests.Device;

/// <summary>Plain CPU versions of what the GPU tests compute, written for clarity; GEMMs accumulate in double.</summary>
internal static class CpuMath
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>The math of kernels/lstm_pointwise.cu for one step, gate order i, f, g, o.</summary>
    public static void LstmPointwise(
        ReadOnlySpan<float> preact, ReadOnlySpan<float> bw, ReadOnlySpan<float> br, ReadOnlySpan<float> cPrev,
        Span<float> h, Span<float> c, Span<float> gates, int batch, int hidden)
    {
        for (var b = 0; b < batch; b++)
        {
            for (var j = 0; j < hidden; j++)
            {
                var a = new float[4];
                for (var k = 0; k < 4; k++)
                    a[k] = preact[b * 4 * hidden + k * hidden + j] + bw[k * hidden + j] + br[k * hidden + j];
                float i = Sigmoid(a[0]), f = Sigmoid(a[1]), g = MathF.Tanh(a[2]), o = Sigmoid(a[3]);
                var cNew = f * cPrev[b * hidden + j] + i * g;
                c[b * hidden + j] = cNew;
                h[b * hidden + j] = o * MathF.Tanh(cNew);
                gates[b * 4 * hidden + j] = i;
                gates[b * 4 * hidden + hidden + j] = f;
                gates[b * 4 * hidden + 2 * hidden + j] = g;
                gates[b * 4 * hidden + 3 * hidden + j] = o;
            }
        }
    }

    /// <summary>Row-major C[M,N] = A[M,K]·B[K,N] (or A·Bᵀ with B stored [N,K]), accumulated in double.</summary>
    public static float[] MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, bool bTransposed = false)
    {
        var c = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                    sum += (double)a[i * k + p] * (bTransposed ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = (float)sum;
            }
        }
        return c;
    }

    /// <summary>
    /// A single-layer unidirectional LSTM over x [T, B, I] from zero state; W [4H, I], R [4H, H], biases [4H],
    /// gates i, f, g, o. Returns y [T, B, H] and the final h and c [B, H].
    /// </summary>
    public static (float[] Y, float[] H, float[] C) Lstm(float[] x, float[] w, float[] r, float[] bw, float[] br, int steps, int batch, int input, int hidden)
    {
        var y = new float[steps * batch * hidden];
        var h = new float[batch * hidden];
        var c = new float[batch * hidden];
        var gates = new float[batch * 4 * hidden];
        for (var t = 0; t < steps; t++)
        {
            var preact = MatMul(x.AsSpan(t * batch * input, batch * input), w, batch, 4 * hidden, input, bTransposed: true);
            var recurrent = MatMul(h, r, batch, 4 * hidden, hidden, bTransposed: true);
            for (var i = 0; i < preact.Length; i++)
                preact[i] += recurrent[i];
            var next = new float[batch * hidden];
            LstmPointwise(preact, bw, br, c, next, c, gates, batch, hidden);
            h = next;
            h.CopyTo(y, t * batch * hidden);
        }
        return (y, h, c);
    }
}
