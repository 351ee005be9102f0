using LstmNative.Training.Data;
using LstmNative.Training.Init;

namespace LstmNative.Forecasting;

/// <summary>
/// A built-in, deterministic hourly electricity-load series with the structure real load has: a daily profile with
/// morning and evening peaks that differs between weekdays and weekends, a weekly cycle, an annual cycle driven by a
/// temperature column (heating below 15 °C, cooling above 22 °C, so the effect is non-linear), a slow growth trend,
/// persistent and white noise, and public holidays that look like Sundays with an extra dip (the anomalies a model
/// must not be fooled by). Columns: <c>temperature</c> (°C) and <c>load</c> (MW).
/// </summary>
public static class SyntheticLoadSeries
{
    /// <summary>Column names, in order.</summary>
    public static readonly IReadOnlyList<string> Columns = ["temperature", "load"];

    /// <summary>The target column.</summary>
    public const string Target = "load";

    // Day-of-year of fixed holidays (a calendar-like set: new year, spring, May, summer, autumn, Christmas week).
    private static readonly int[] FixedHolidays = [0, 1, 95, 120, 140, 226, 304, 358, 359, 360, 364];

    /// <summary>Generates <paramref name="hours"/> rows from <paramref name="seed"/>; the same arguments give the same table.</summary>
    public static NumericTable Generate(int hours = 2 * 365 * 24, int seed = 7)
    {
        if (hours < 1)
            throw new ArgumentException($"hours must be positive, got {hours}");
        var rng = new Random(seed);
        // Movable holidays: two per year on random weekdays, drawn up front so the stream below stays aligned.
        int years = hours / (365 * 24) + 1;
        var movable = new HashSet<int>();
        for (int y = 0; y < years; y++)
            for (int k = 0; k < 2; k++)
                movable.Add(y * 365 + 30 + rng.Next(300));

        var data = new double[hours * 2];
        double weather = 0, persistent = 0;
        for (int t = 0; t < hours; t++)
        {
            int day = t / 24, hour = t % 24;
            int dayOfYear = day % 365, weekday = day % 7; // day 0 is a Monday
            double year = t / (365.0 * 24);

            // Temperature: annual cycle peaking late July, daily cycle peaking mid-afternoon, slow weather fronts.
            weather = 0.995 * weather + 0.35 * rng.NextGaussian();
            double temperature = 11 + 10 * Math.Cos(2 * Math.PI * (dayOfYear - 205) / 365.0)
                + 4 * Math.Sin(2 * Math.PI * (hour - 9) / 24.0) + weather;

            bool holiday = Array.IndexOf(FixedHolidays, dayOfYear) >= 0 || movable.Contains(day);
            bool weekend = weekday >= 5;
            double profile = holiday || weekday == 6 ? SundayProfile(hour) : weekday == 5 ? SaturdayProfile(hour) : WeekdayProfile(hour);
            double heating = Math.Max(0, 15 - temperature) * 9;
            double cooling = Math.Pow(Math.Max(0, temperature - 22), 1.4) * 14;
            persistent = 0.97 * persistent + 6 * rng.NextGaussian();
            double baseLoad = 900 * (1 + 0.04 * year);
            double load = baseLoad * profile + heating + cooling + persistent + 4 * rng.NextGaussian();
            if (holiday && !weekend)
                load *= 0.93;

            data[2 * t] = Math.Round(temperature, 2);
            data[2 * t + 1] = Math.Round(load, 1);
        }
        return new NumericTable(Columns, data);
    }

    // Relative load by hour: night trough, morning ramp, midday plateau, evening peak.
    private static double WeekdayProfile(int hour) =>
        0.72 + 0.22 * Bump(hour, 9, 2.5) + 0.12 * Bump(hour, 13, 4) + 0.3 * Bump(hour, 19, 2.2) - 0.08 * Bump(hour, 3.5, 2.5);

    private static double SaturdayProfile(int hour) =>
        0.68 + 0.12 * Bump(hour, 11, 3.5) + 0.22 * Bump(hour, 19.5, 2.5) - 0.08 * Bump(hour, 4, 2.5);

    private static double SundayProfile(int hour) =>
        0.64 + 0.08 * Bump(hour, 12, 4) + 0.2 * Bump(hour, 19.5, 2.5) - 0.08 * Bump(hour, 4.5, 2.5);

    // A smooth daily bump centred on `centre`, wrapping around midnight.
    private static double Bump(int hour, double centre, double width)
    {
        double d = Math.Abs(hour - centre);
        d = Math.Min(d, 24 - d);
        return Math.Exp(-0.5 * d * d / (width * width));
    }
}
