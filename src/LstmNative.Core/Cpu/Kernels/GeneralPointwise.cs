using LstmNative.Model;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// Scalar versions of <see cref="LstmPointwise"/> and <see cref="GruPointwise"/> for arbitrary ONNX activations
/// (any <see cref="Activation"/>, evaluated in float with the same formulas as the reference). Same layouts, same
/// contracts; the GEMMs around them stay vectorised.
/// </summary>
internal static unsafe class GeneralPointwise
{
    private static float Clip(float v, float c) => v > c ? c : v < -c ? -c : v;

    private static float ClipGrad(float v, float c) => MathF.Abs(v) > c ? 0f : 1f;

    public static void LstmForward(float* pre, float* rec, float* bias, float* peep, int hpad, float* cprev, float* cout,
        float* hout, float* act, int u0, int u1, int nr, float clip, bool inputForget, Activation fa, Activation ga, Activation ha)
    {
        for (int u = u0; u < u1; u++)
            for (int v = 0; v < nr; v++)
            {
                int col = u * 4 * nr + v, j = u * nr + v;
                float ai = pre[col] + rec[col] + bias[col];
                float af = pre[col + nr] + rec[col + nr] + bias[col + nr];
                float ag = pre[col + 2 * nr] + rec[col + 2 * nr] + bias[col + 2 * nr];
                float ao = pre[col + 3 * nr] + rec[col + 3 * nr] + bias[col + 3 * nr];
                float cp = cprev[j];
                if (peep != null)
                {
                    ai += peep[j] * cp;
                    af += peep[hpad + j] * cp;
                }
                float i = fa.Apply(Clip(ai, clip));
                float f = inputForget ? 1f - i : fa.Apply(Clip(af, clip));
                float g = ga.Apply(Clip(ag, clip));
                float c = f * cp + i * g;
                if (peep != null)
                    ao += peep[2 * hpad + j] * c;
                float o = fa.Apply(Clip(ao, clip));
                pre[col] = ai;
                pre[col + nr] = af;
                pre[col + 2 * nr] = ag;
                pre[col + 3 * nr] = ao;
                if (act != null)
                {
                    act[col] = i;
                    act[col + nr] = f;
                    act[col + 2 * nr] = g;
                    act[col + 3 * nr] = o;
                }
                cout[j] = c;
                hout[j] = o * ha.Apply(c);
            }
    }

    public static void LstmBackward(float* act, float* pre, float* c, float* cprev, float* dh, float* dy, float* dc, float* da,
        float* peep, float* dpeep, int hpad, int u0, int u1, int nr, float clip, bool inputForget, Activation fa, Activation ga, Activation ha)
    {
        for (int u = u0; u < u1; u++)
            for (int v = 0; v < nr; v++)
            {
                int col = u * 4 * nr + v, j = u * nr + v;
                float i = act[col], f = act[col + nr], g = act[col + 2 * nr], o = act[col + 3 * nr];
                float ai = pre[col], af = pre[col + nr], ag = pre[col + 2 * nr], ao = pre[col + 3 * nr];
                float dht = dh[j] + (dy != null ? dy[j] : 0f);
                float hc = ha.Apply(c[j]);
                float dao = dht * hc * fa.Derivative(Clip(ao, clip)) * ClipGrad(ao, clip);
                float dct = dc[j] + dht * o * ha.Derivative(c[j]);
                if (peep != null)
                {
                    dct += dao * peep[2 * hpad + j];
                    dpeep[2 * hpad + j] += dao * c[j];
                }
                float di = dct * g, df = dct * cprev[j], dg = dct * i, dcp = dct * f;
                float daf = 0f;
                if (inputForget)
                    di -= df;
                else
                    daf = df * fa.Derivative(Clip(af, clip)) * ClipGrad(af, clip);
                float dai = di * fa.Derivative(Clip(ai, clip)) * ClipGrad(ai, clip);
                float dag = dg * ga.Derivative(Clip(ag, clip)) * ClipGrad(ag, clip);
                if (peep != null)
                {
                    dcp += dai * peep[j] + daf * peep[hpad + j];
                    dpeep[j] += dai * cprev[j];
                    dpeep[hpad + j] += daf * cprev[j];
                }
                da[col] = dai;
                da[col + nr] = daf;
                da[col + 2 * nr] = dag;
                da[col + 3 * nr] = dao;
                dc[j] = dcp;
                dh[j] = 0f;
            }
    }

    public static void GruForwardRz(float* pre, float* rec, float* bias, float* hprev, float* rh, float* act,
        int u0, int u1, int nr, float clip, Activation fa)
    {
        for (int u = u0; u < u1; u++)
            for (int v = 0; v < nr; v++)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                float ar = pre[col] + rec[col] + bias[col];
                float az = pre[col + nr] + rec[col + nr] + bias[col + nr];
                float r = fa.Apply(Clip(ar, clip));
                pre[col] = ar;
                pre[col + nr] = az;
                act[col] = r;
                act[col + nr] = fa.Apply(Clip(az, clip));
                if (rh != null)
                    rh[j] = r * hprev[j];
            }
    }

    public static void GruForwardN(float* pre, float* rec, float* bias, float* rbn, float* q, float* actRz, float* actN,
        float* hprev, float* hout, int u0, int u1, int nr, float clip, Activation ga)
    {
        for (int u = u0; u < u1; u++)
            for (int v = 0; v < nr; v++)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                float an = pre[j] + bias[j];
                if (rbn != null)
                {
                    float qv = rec[j] + rbn[j];
                    q[j] = qv;
                    an += actRz[col] * qv;
                }
                else
                {
                    an += rec[j];
                }
                float n = ga.Apply(Clip(an, clip));
                float z = actRz[col + nr];
                pre[j] = an;
                actN[j] = n;
                hout[j] = (1f - z) * n + z * hprev[j];
            }
    }

    public static void GruBackward(float* actRz, float* actN, float* preRz, float* preN, float* q, float* hprev, float* dh,
        float* dy, float* daRz, float* daN, float* dq, int u0, int u1, int nr, float clip, Activation fa, Activation ga)
    {
        for (int u = u0; u < u1; u++)
            for (int v = 0; v < nr; v++)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                float r = actRz[col], z = actRz[col + nr], n = actN[j];
                float dht = dh[j] + (dy != null ? dy[j] : 0f);
                float dz = dht * (hprev[j] - n);
                float dn = dht * (1f - z);
                float az = preRz[col + nr], an = preN[j];
                daRz[col + nr] = dz * fa.Derivative(Clip(az, clip)) * ClipGrad(az, clip);
                float dan = dn * ga.Derivative(Clip(an, clip)) * ClipGrad(an, clip);
                daN[j] = dan;
                dh[j] = dht * z;
                if (q != null)
                {
                    float ar = preRz[col];
                    dq[j] = dan * r;
                    daRz[col] = dan * q[j] * fa.Derivative(Clip(ar, clip)) * ClipGrad(ar, clip);
                }
            }
    }

    public static void GruBackwardR(float* actRz, float* preRz, float* hprev, float* drh, float* dh, float* daRz,
        int u0, int u1, int nr, float clip, Activation fa)
    {
        for (int u = u0; u < u1; u++)
            for (int v = 0; v < nr; v++)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                float ar = preRz[col];
                daRz[col] = drh[j] * hprev[j] * fa.Derivative(Clip(ar, clip)) * ClipGrad(ar, clip);
                dh[j] += drh[j] * actRz[col];
            }
    }
}
