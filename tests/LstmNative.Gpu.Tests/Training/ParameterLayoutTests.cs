using LstmNative.Formats;
using LstmNative.Gpu.Training;
using LstmNative.Layers;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

public class ParameterLayoutTests
{
    private static readonly RnnLayerOptions[] Layers =
    [
        new(RnnCellType.Lstm, 3, 5, RnnDirection.Bidirectional) { HasPeepholes = true },
        new(RnnCellType.Gru, 10, 4) { LinearBeforeReset = true },
    ];

    [Test]
    public void BlocksAreAlignedAndDirectionsAdjacent()
    {
        var layout = new ParameterLayout(Layers, headInputs: 4, headOutputs: 2);
        var s = layout.Layers[0];
        Assert.Multiple(() =>
        {
            foreach (var slot in layout.Layers.SelectMany(l => new[] { l.W, l.R, l.Bw, l.Br }).Append(layout.HeadWeight).Append(layout.HeadBias))
                Assert.That(slot % ParameterLayout.AlignmentElements, Is.Zero);
            Assert.That(s.WOf(1) - s.WOf(0), Is.EqualTo(4 * 5 * 3), "both directions' W form one [2*4H, I] matrix");
            Assert.That(s.ROf(1) - s.ROf(0), Is.EqualTo(4 * 5 * 5));
            Assert.That(s.POf(1) - s.POf(0), Is.EqualTo(15));
            Assert.That(layout.Layers[1].P, Is.EqualTo(-1));
            Assert.That(layout.Slots.Select(x => x.Name), Does.Contain("weight_hh_l0_reverse").And.Contain("peephole_l0").And.Contain("bias_ih_l1").And.Contain("head.weight"));
            Assert.That(layout.TotalElements, Is.GreaterThanOrEqualTo(layout.HeadBias + 2));
        });
        var ends = layout.Slots.OrderBy(x => x.Offset).ToArray();
        for (int i = 1; i < ends.Length; i++)
            Assert.That(ends[i].Offset, Is.GreaterThanOrEqualTo(ends[i - 1].Offset + ends[i - 1].Length), $"{ends[i - 1].Name} overlaps {ends[i].Name}");
    }

    [Test]
    public void PackThenUnpackGivesTheWeightsBack()
    {
        var rng = new Random(3);
        var weights = Layers.Select(o => new LayerWeights<float>(o).Randomize(rng, 1)).ToArray();
        var layout = new ParameterLayout(Layers, 4, 2);
        float[] hw = [1, 2, 3, 4, 5, 6, 7, 8], hb = [9, 10];
        var flat = layout.Pack(weights, hw, hb);
        var back = layout.NewWeights();
        float[] hw2 = new float[8], hb2 = new float[2];
        layout.Unpack(flat, back, hw2, hb2);
        Assert.Multiple(() =>
        {
            for (int l = 0; l < weights.Length; l++)
                for (int d = 0; d < weights[l].Directions.Length; d++)
                    Assert.That(back[l].Directions[d].Parameters().SelectMany(p => p), Is.EqualTo(weights[l].Directions[d].Parameters().SelectMany(p => p)));
            Assert.That(hw2, Is.EqualTo(hw));
            Assert.That(hb2, Is.EqualTo(hb));
            Assert.That(flat[(int)layout.Layers[0].WOf(1)], Is.EqualTo(weights[0].Directions[1].W[0]));
        });
    }

    [Test]
    public void MismatchedStacksAreRejected()
    {
        Assert.Multiple(() =>
        {
            var e = Assert.Throws<ArgumentException>(() => _ = new ParameterLayout([new(RnnCellType.Lstm, 3, 5), new(RnnCellType.Lstm, 6, 5)]));
            Assert.That(e!.Message, Does.Contain("layer 1 takes 6 inputs but layer 0 gives 5"));
            Assert.Throws<ArgumentException>(() => _ = new ParameterLayout([]));
            Assert.Throws<ArgumentException>(() => _ = new ParameterLayout(Layers, 4, 0));
            Assert.Throws<ArgumentException>(() => new ParameterLayout(Layers).Pack([new LayerWeights<float>(Layers[0])]));
        });
    }

    [Test]
    public void NamesAreThoseOfAPyTorchStateDict()
    {
        // One naming rule everywhere: PyTorch's, by direction index (a reverse-only layer is "_l0", as PyTorch would
        // never name it otherwise), so a GPU trainer's slot and a state dict's tensor with the same name are the same weights.
        var model = new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 3, 5, 2, Bidirectional: true));
        var layout = new ParameterLayout(model.Layers.Select(l => l.Options).ToArray(), headInputs: 0, headOutputs: 0);
        var stateDict = PyTorchStateDict.FromModel(model).Select(t => t.Key).Order(StringComparer.Ordinal);
        Assert.That(layout.Slots.Select(x => x.Name).Order(StringComparer.Ordinal), Is.EqualTo(stateDict));

        var reverseOnly = new ParameterLayout([new RnnLayerOptions(RnnCellType.Gru, 2, 3, RnnDirection.Reverse)], 0, 0);
        Assert.That(reverseOnly.Slots.Select(x => x.Name), Is.EqualTo(new[] { "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0" }));
    }
}
