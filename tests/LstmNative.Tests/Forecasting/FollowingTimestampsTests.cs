using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary><see cref="ForecastDataSource.FollowingTimestamps"/>: the last step repeated, or null when there is no sound step.</summary>
public class FollowingTimestampsTests
{
    [TestCase("date,v\n2016-07-01 00:00:00,1\n2016-07-01 01:00:00,2\n", 3,
        new[] { "2016-07-01 02:00:00", "2016-07-01 03:00:00", "2016-07-01 04:00:00" }, TestName = "Hourly, ETT's format")]
    [TestCase("v,day\n1,2020-02-27\n2,2020-02-28\n", 2, new[] { "2020-02-29 00:00:00", "2020-03-01 00:00:00" }, TestName = "Daily, a later column, past a leap day")]
    [TestCase("date,v\n2020-01-01 23:00,1\n2020-01-02 00:00,2\n", 1, new[] { "2020-01-02 01:00:00" }, TestName = "Across midnight")]
    public void RepeatTheLastStep(string csv, int count, string[] expected)
    {
        string path = Write(csv);
        try
        {
            Assert.That(ForecastDataSource.FollowingTimestamps(path, count), Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase("a,b\n1,2\n3,4\n", TestName = "No timestamp column")]
    [TestCase("date,v\n2020-01-01 00:00,1\n", TestName = "One row: no step")]
    [TestCase("date,v\n2020-01-01 05:00,1\n2020-01-01 04:00,2\n", TestName = "Going back in time")]
    [TestCase("date,v\n2020-01-01 05:00,1\n2020-01-01 05:00,2\n", TestName = "A repeated time")]
    [TestCase("date,v\n2020-01-01 05:00,1\nlater,2\n", TestName = "An unparsable last time")]
    [TestCase("date,v\n9999-12-31 22:00,1\n9999-12-31 23:00,2\n", TestName = "Past the last representable date")]
    public void NullWithoutASoundStep(string csv)
    {
        string path = Write(csv);
        try
        {
            Assert.That(ForecastDataSource.FollowingTimestamps(path, 2), Is.Null);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Write(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"lstmnative-times-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }
}
