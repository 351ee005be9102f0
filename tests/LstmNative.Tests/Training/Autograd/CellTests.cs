using LstmNative.Training;
using LstmNative.Training.Autograd;
using LstmNative.Training.Layers;
using NUnit.Framework;
using static LstmNative.Tests.Training.Autograd.GradientCheck;

namespace LstmNative.Tests.Training.Autograd;

/// <summary>The graph's LSTM cell equals the <c>LstmCell</c> module and differentiates correctly when stepped in a loop.</summary>
public class CellTests
{
    [Test]
    public void GraphCellEqualsTheModuleCell()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int batch = rng.Next(1, 4), input = rng.Next(1, 5), hidden = rng.Next(1, 6);
        var cell = new LstmCell<double>(input, hidden, rng);
        var p = cell.Parameters().ToDictionary(q => q.Name);
        foreach (var q in p.Values) // non-zero biases so the bias path is checked
            for (int i = 0; i < q.Value.Length; i++)
                q.Value.Data[i] += 0.1 * (rng.NextDouble() - 0.5);
        var x = Random(rng, batch, input);
        var h = Random(rng, batch, hidden);
        var c = Random(rng, batch, hidden);
        var (hm, cm) = cell.Forward(x, h, c);
        var bias = Var<double>.Parameter(p["bias_ih"]) + Var<double>.Parameter(p["bias_hh"]);
        var (hg, cg) = Var<double>.LstmCell(new Var<double>(x), new Var<double>(h), new Var<double>(c),
            Var<double>.Parameter(p["weight_ih"]), Var<double>.Parameter(p["weight_hh"]), bias);
        Assert.That(hg.Value.Data, Is.EqualTo(hm.Data).Within(1e-12));
        Assert.That(cg.Value.Data, Is.EqualTo(cm.Data).Within(1e-12));
    }

    [Test]
    public void ThreeStepsOfTheCellDifferentiateCorrectly()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int batch = 2, input = 3, hidden = 4;
        Check(rng, v =>
        {
            var (h, c) = (v[1], v[2]);
            var outputs = new List<Var<double>>();
            for (int t = 0; t < 3; t++)
            {
                (h, c) = Var<double>.LstmCell(v[0].Select(1, t), h, c, v[3], v[4], v[5]);
                outputs.Add(h);
            }
            return Var<double>.Stack(1, [.. outputs]);
        }, Random(rng, batch, 3, input), Random(rng, batch, hidden), Random(rng, batch, hidden),
           Random(rng, 4 * hidden, input), Random(rng, 4 * hidden, hidden), Random(rng, 4 * hidden));
    }
}
