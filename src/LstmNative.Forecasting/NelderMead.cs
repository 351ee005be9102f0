namespace LstmNative.Forecasting;

/// <summary>
/// Derivative-free minimisation by the Nelder–Mead simplex (reflection 1, expansion 2, contraction ½, shrink ½), used
/// where a model's objective has few parameters and no cheap gradient (ARIMA's likelihood).
/// </summary>
public static class NelderMead
{
    /// <summary>
    /// Minimises <paramref name="objective"/> from <paramref name="start"/>; the initial simplex steps each coordinate by
    /// <paramref name="step"/>. Stops when the spread of the simplex values falls below <paramref name="tolerance"/> or
    /// after <paramref name="maxEvaluations"/> evaluations. Non-finite values count as +∞ (a constraint violation).
    /// </summary>
    public static (double[] Minimum, double Value, int Evaluations) Minimize(Func<double[], double> objective, double[] start,
        double step = 0.1, double tolerance = 1e-9, int maxEvaluations = 5000)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(start);
        int n = start.Length;
        int evaluations = 0;
        double F(double[] x)
        {
            evaluations++;
            double v = objective(x);
            return double.IsFinite(v) ? v : double.PositiveInfinity;
        }
        if (n == 0)
            return ([], F(start), evaluations);
        var points = new double[n + 1][];
        var values = new double[n + 1];
        for (int i = 0; i <= n; i++)
        {
            points[i] = (double[])start.Clone();
            if (i > 0)
                points[i][i - 1] += step;
            values[i] = F(points[i]);
        }
        var centroid = new double[n];
        var trial = new double[n];
        var trial2 = new double[n];
        while (evaluations < maxEvaluations)
        {
            Array.Sort(values, points);
            if (Math.Abs(values[n] - values[0]) <= tolerance * (Math.Abs(values[0]) + tolerance))
                break;
            Array.Clear(centroid);
            for (int i = 0; i < n; i++)
                for (int k = 0; k < n; k++)
                    centroid[k] += points[i][k] / n;
            Along(centroid, points[n], 1, trial);
            double fr = F(trial);
            if (fr < values[0])
            {
                Along(centroid, points[n], 2, trial2);
                double fe = F(trial2);
                if (fe < fr)
                    Replace(points, values, n, trial2, fe);
                else
                    Replace(points, values, n, trial, fr);
            }
            else if (fr < values[n - 1])
            {
                Replace(points, values, n, trial, fr);
            }
            else
            {
                bool outside = fr < values[n];
                Along(centroid, points[n], outside ? 0.5 : -0.5, trial2);
                double fc = F(trial2);
                if (fc < (outside ? fr : values[n]))
                {
                    Replace(points, values, n, trial2, fc);
                }
                else
                {
                    for (int i = 1; i <= n; i++)
                    {
                        for (int k = 0; k < n; k++)
                            points[i][k] = points[0][k] + 0.5 * (points[i][k] - points[0][k]);
                        values[i] = F(points[i]);
                    }
                }
            }
        }
        int best = 0;
        for (int i = 1; i <= n; i++)
            if (values[i] < values[best])
                best = i;
        return (points[best], values[best], evaluations);
    }

    // centroid + t·(centroid − worst)
    private static void Along(double[] centroid, double[] worst, double t, double[] result)
    {
        for (int k = 0; k < centroid.Length; k++)
            result[k] = centroid[k] + t * (centroid[k] - worst[k]);
    }

    private static void Replace(double[][] points, double[] values, int index, double[] x, double value)
    {
        Array.Copy(x, points[index], x.Length);
        values[index] = value;
    }
}
