using LstmNative.Cuda;
using LstmNative.Gpu.Training;
using LstmNative.Model;

namespace LstmNative.Gpu.Benchmarks.Training;

/// <summary>
/// cuDNN's training path for one DeepBench row on the same stream and the same input/upstream buffers as ours:
/// cudnnRNNForward (training), cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8, with the same weights copied into
/// its weight space (linear-layer ids 0-3/4-7 for LSTM i,f,g,o and 0-2/3-5 for GRU r,z,n: our gate order).
/// </summary>
internal sealed class CudnnBaseline : IDisposable
{
    private readonly CudnnHandle _cudnn;
    private readonly CudnnDropoutDescriptor _dropout;
    private readonly CudnnRnnDescriptor _rnn;
    private readonly CudnnRnnDataDescriptor _xDesc, _yDesc;
    private readonly CudnnTensorDescriptor _hDesc;
    private readonly DeviceBuffer<byte> _weights, _dWeights, _work, _reserve;
    private readonly DeviceBuffer<float> _y, _dx;
    private readonly DeviceBuffer<int> _lengths;
    private readonly DeepBenchRow _row;
    private readonly int _ids;
    private readonly CudaStream _stream;

    public CudnnBaseline(CudaContext context, CudaStream stream, DeepBenchRow row, GpuMathMode math, CudnnRnnAlgorithm algorithm)
    {
        _row = row;
        _stream = stream;
        _cudnn = new CudnnHandle(context);
        _cudnn.SetStream(stream);
        _dropout = new CudnnDropoutDescriptor(_cudnn);
        var settings = new CudnnRnnSettings(row.Cell == RnnCellType.Lstm ? CudnnRnnMode.Lstm : CudnnRnnMode.Gru, row.Hidden, row.Hidden)
        {
            // FP32: FMA kernels only. TF32: cuDNN's default math, which allows TF32 tensor cores on Ampere and later.
            MathType = math == GpuMathMode.Tf32 ? CudnnMathType.Default : CudnnMathType.Fma,
            Algorithm = algorithm,
        };
        _ids = settings.LinearLayersPerPseudoLayer;
        _rnn = new CudnnRnnDescriptor(_cudnn, settings, _dropout);
        var lengths = Enumerable.Repeat(row.Steps, row.Batch).ToArray();
        _xDesc = new CudnnRnnDataDescriptor(_cudnn, CudnnDataType.Float, CudnnRnnDataLayout.SequenceMajorUnpacked, row.Steps, row.Hidden, lengths);
        _yDesc = new CudnnRnnDataDescriptor(_cudnn, CudnnDataType.Float, CudnnRnnDataLayout.SequenceMajorUnpacked, row.Steps, row.Hidden, lengths);
        _hDesc = CudnnTensorDescriptor.Packed(_cudnn, CudnnDataType.Float, 1, row.Batch, row.Hidden);
        WeightBytes = _rnn.WeightSpaceBytes();
        _weights = context.Allocate<byte>(WeightBytes);
        _dWeights = context.Allocate<byte>(WeightBytes);
        (WorkBytes, ReserveBytes) = _rnn.TempSpaceBytes(CudnnForwardMode.Training, _xDesc);
        _work = context.Allocate<byte>(Math.Max(1, WorkBytes));
        _reserve = context.Allocate<byte>(Math.Max(1, ReserveBytes));
        long elements = (long)row.Steps * row.Batch * row.Hidden;
        _y = context.Allocate<float>(elements);
        _dx = context.Allocate<float>(elements);
        _lengths = context.Allocate<int>(row.Batch);
        _lengths.CopyFromHost(lengths, stream: stream);
    }

    public long WeightBytes { get; }

    public long WorkBytes { get; }

    public long ReserveBytes { get; }

    private CudnnRnnSpaces Spaces => new(_weights.Pointer, WeightBytes, _work.Pointer, WorkBytes, _reserve.Pointer, ReserveBytes);

    /// <summary>Copies our layer's weights into cuDNN's weight space.</summary>
    public void LoadWeights(LayerWeights<float> weights, CudaStream stream)
    {
        var w = weights.Directions[0];
        int gates = _ids / 2, h = _row.Hidden;
        for (int id = 0; id < _ids; id++)
        {
            int gate = id % gates;
            bool input = id < gates;
            var p = _rnn.GetWeightParameter(0, _weights.Pointer, WeightBytes, id);
            DeviceMemory.CopyFromHost(p.Matrix, (input ? w.W : w.R).AsSpan(gate * h * h, h * h), stream);
            DeviceMemory.CopyFromHost(p.Bias, (input ? w.Bw : w.Br).AsSpan(gate * h, h), stream);
        }
    }

    /// <summary>Forward (training mode) on x, then backward data with dy and backward weights (zeroed first).</summary>
    public void ForwardBackward(ulong x, ulong dy)
    {
        var spaces = Spaces;
        var c = _row.Cell == RnnCellType.Lstm ? _hDesc : null;
        _rnn.Forward(CudnnForwardMode.Training, _lengths.Pointer, _xDesc, x, _yDesc, _y.Pointer, _hDesc, 0, 0, c, 0, 0, spaces);
        _rnn.BackwardData(_lengths.Pointer, _yDesc, _y.Pointer, dy, _xDesc, _dx.Pointer, _hDesc, 0, 0, 0, c, 0, 0, 0, spaces);
        _dWeights.Clear(_stream);
        _rnn.BackwardWeights(CudnnWeightGradientMode.Add, _lengths.Pointer, _xDesc, x, _hDesc, 0, _yDesc, _y.Pointer, spaces with { Weights = _dWeights.Pointer });
    }

    public float[] ReadY(CudaStream stream) => _y.ToArray(stream);

    public float[] ReadDx(CudaStream stream) => _dx.ToArray(stream);

    /// <summary>cuDNN's weight gradients in our layout.</summary>
    public LayerWeights<float> ReadGradients(RnnLayerOptions options, CudaStream stream)
    {
        var result = new LayerWeights<float>(options);
        var g = result.Directions[0];
        int gates = _ids / 2, h = _row.Hidden;
        for (int id = 0; id < _ids; id++)
        {
            int gate = id % gates;
            bool input = id < gates;
            var p = _rnn.GetWeightParameter(0, _dWeights.Pointer, WeightBytes, id);
            DeviceMemory.CopyToHost(p.Matrix, (input ? g.W : g.R).AsSpan(gate * h * h, h * h), stream);
            DeviceMemory.CopyToHost(p.Bias, (input ? g.Bw : g.Br).AsSpan(gate * h, h), stream);
        }
        return result;
    }

    public void Dispose()
    {
        _lengths.Dispose();
        _dx.Dispose();
        _y.Dispose();
        _reserve.Dispose();
        _work.Dispose();
        _dWeights.Dispose();
        _weights.Dispose();
        _hDesc.Dispose();
        _yDesc.Dispose();
        _xDesc.Dispose();
        _rnn.Dispose();
        _dropout.Dispose();
        _cudnn.Dispose();
    }
}
