using System.Globalization;

namespace LstmNative.Forecasting;

/// <summary>
/// Orders of a seasonal ARIMA(p,d,q)(P,D,Q)<sub>s</sub> model, as statsmodels' <c>order</c> and <c>seasonal_order</c>.
/// </summary>
/// <param name="P">Non-seasonal autoregressive order p.</param>
/// <param name="D">Non-seasonal differencing d.</param>
/// <param name="Q">Non-seasonal moving-average order q.</param>
/// <param name="SeasonalP">Seasonal autoregressive order P.</param>
/// <param name="SeasonalD">Seasonal differencing D.</param>
/// <param name="SeasonalQ">Seasonal moving-average order Q.</param>
/// <param name="Season">Season length s (0 or 1 when there is no seasonal part).</param>
public sealed record ArimaOrder(int P, int D, int Q, int SeasonalP = 0, int SeasonalD = 0, int SeasonalQ = 0, int Season = 0)
{
    /// <summary>Largest order accepted for p, q, P and Q; larger models are slow to fit and rarely identifiable.</summary>
    public const int MaxOrder = 5;

    /// <summary>Whether the model has a seasonal part.</summary>
    public bool IsSeasonal => Season > 1 && (SeasonalP + SeasonalD + SeasonalQ) > 0;

    /// <summary>Number of autoregressive and moving-average coefficients (φ, Φ, θ, Θ).</summary>
    public int CoefficientCount => P + Q + (IsSeasonal ? SeasonalP + SeasonalQ : 0);

    /// <summary>Rows lost to differencing: d + s·D.</summary>
    public int DifferencingLag => D + (IsSeasonal ? Season * SeasonalD : 0);

    /// <summary>Throws <see cref="ArgumentException"/> when an order is negative or out of range.</summary>
    public void Validate()
    {
        if (P < 0 || Q < 0 || SeasonalP < 0 || SeasonalQ < 0 || P > MaxOrder || Q > MaxOrder || SeasonalP > MaxOrder || SeasonalQ > MaxOrder)
            throw new ArgumentException($"ARIMA orders p, q, P, Q must lie in 0..{MaxOrder}, got {this}");
        if (D < 0 || D > 2 || SeasonalD < 0 || SeasonalD > 1)
            throw new ArgumentException($"ARIMA differencing must be d in 0..2 and D in 0..1, got {this}");
        if (Season < 0 || (SeasonalP + SeasonalD + SeasonalQ > 0 && Season < 2))
            throw new ArgumentException($"a seasonal part needs a season length of at least 2, got {this}");
    }

    /// <summary>Parses <c>p,d,q</c> or <c>p,d,q,P,D,Q,s</c>.</summary>
    public static ArimaOrder Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is not (3 or 7))
            throw new FormatException($"ARIMA order must be p,d,q or p,d,q,P,D,Q,s, got '{text}'");
        var v = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out v[i]))
                throw new FormatException($"ARIMA order '{text}': '{parts[i]}' is not an integer");
        var order = parts.Length == 3 ? new ArimaOrder(v[0], v[1], v[2]) : new ArimaOrder(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        order.Validate();
        return order;
    }

    /// <inheritdoc/>
    public override string ToString() => IsSeasonal
        ? string.Create(CultureInfo.InvariantCulture, $"({P},{D},{Q})({SeasonalP},{SeasonalD},{SeasonalQ}){Season}")
        : string.Create(CultureInfo.InvariantCulture, $"({P},{D},{Q})");
}
