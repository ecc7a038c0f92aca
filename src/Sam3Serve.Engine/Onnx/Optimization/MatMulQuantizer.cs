using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Sam3Serve.Engine.Onnx.TrunkSharing;

namespace Sam3Serve.Engine.Onnx.Optimization;

/// <summary>
/// Turns <c>MatMul(A, W)</c> with a constant fp32 weight W [K, N] (both at least <see cref="MinimumDimension"/>)
/// into <c>com.microsoft.DynamicQuantizeMatMul(A, Wq, scale, zero)</c>: W as signed int8, symmetric, one scale per
/// output column (max |W[:, n]| / 127, zero point 0); ONNX Runtime quantizes A to u8 per tensor at run time. On x86,
/// u8 activations × s8 weights is the GEMM MLAS runs on AVX512-VNNI / AVX-VNNI. Smaller MatMuls (the decoders',
/// 256 wide) stay fp32: there the quantization of A costs more than the cheaper product saves.
/// </summary>
internal sealed class MatMulQuantizer(string modelDirectory, ExternalDataWriter writer)
{
    /// <summary>Both weight dimensions must be at least this for a MatMul to be quantized.</summary>
    public const int MinimumDimension = 512;

    private readonly Dictionary<string, (string Weight, string Scale, string Zero)> _done = new(StringComparer.Ordinal);

    /// <summary>Weight bytes read (fp32) and written (int8) so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Rewrites the eligible MatMuls of <paramref name="model"/> in place; returns how many.</summary>
    public int Apply(ModelProto model, IProgress<(int Done, int Total)>? progress = null)
    {
        var graph = model.Graph;
        var view = new GraphView(graph);
        var eligible = graph.Node.Where(n => Eligible(view, n)).ToList();
        var count = 0;
        foreach (var node in eligible)
        {
            var weight = view.Initializer(node.Input[1])!;
            if (!_done.TryGetValue(weight.Name, out var quantized))
            {
                quantized = Quantize(graph, weight);
                _done[weight.Name] = quantized;
            }
            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = AttentionRewrite.MicrosoftDomain;
            var a = node.Input[0];
            node.Input.Clear();
            node.Input.AddRange([a, quantized.Weight, quantized.Scale, quantized.Zero]);
            count++;
            progress?.Report((count, eligible.Count));
        }
        if (count > 0)
        {
            // The fp32 weights nothing reads any more are dropped from the graph (their bytes stay in the original file).
            DeadNodes.Remove(graph);
            if (!model.OpsetImport.Any(o => o.Domain == AttentionRewrite.MicrosoftDomain))
            {
                model.OpsetImport.Add(new OperatorSetIdProto { Domain = AttentionRewrite.MicrosoftDomain, Version = 1 });
            }
        }
        return count;
    }

    private static bool Eligible(GraphView view, NodeProto node) =>
        node.OpType == "MatMul" && string.IsNullOrEmpty(node.Domain) && node.Input.Count == 2
        && view.Initializer(node.Input[1]) is { } w
        && w.DataType == (int)TensorProto.Types.DataType.Float
        && w.Dims.Count == 2 && w.Dims[0] >= MinimumDimension && w.Dims[1] >= MinimumDimension;

    private (string Weight, string Scale, string Zero) Quantize(GraphProto graph, TensorProto weight)
    {
        var rows = (int)weight.Dims[0];
        var columns = (int)weight.Dims[1];
        var values = ReadFloats(weight, (long)rows * columns);
        var (quantized, scales) = QuantizePerColumn(values, rows, columns);

        var name = weight.Name + "_s8";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int8 };
        tensor.Dims.AddRange([rows, columns]);
        writer.Store(tensor, MemoryMarshal.AsBytes(quantized.AsSpan()));
        graph.Initializer.Add(tensor);

        var scale = new TensorProto { Name = weight.Name + "_scale", DataType = (int)TensorProto.Types.DataType.Float };
        scale.Dims.Add(columns);
        scale.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scales.AsSpan()));
        graph.Initializer.Add(scale);

        var zero = new TensorProto { Name = weight.Name + "_zero", DataType = (int)TensorProto.Types.DataType.Int8 };
        zero.Dims.Add(columns);
        zero.RawData = ByteString.CopyFrom(new byte[columns]);
        graph.Initializer.Add(zero);
        return (name, scale.Name, zero.Name);
    }

    /// <summary>Symmetric per-column int8: q = round(w / s) in [-127, 127], s = max |w[:, n]| / 127 (1 for a zero column).</summary>
    internal static (sbyte[] Values, float[] Scales) QuantizePerColumn(ReadOnlySpan<float> weights, int rows, int columns)
    {
        var max = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            var row = weights.Slice(r * columns, columns);
            for (var c = 0; c < columns; c++)
            {
                max[c] = MathF.Max(max[c], MathF.Abs(row[c]));
            }
        }
        var scales = new float[columns];
        var inverse = new float[columns];
        for (var c = 0; c < columns; c++)
        {
            scales[c] = max[c] > 0 ? max[c] / 127f : 1f;
            inverse[c] = 1f / scales[c];
        }
        var q = new sbyte[weights.Length];
        for (var r = 0; r < rows; r++)
        {
            var row = weights.Slice(r * columns, columns);
            var outRow = q.AsSpan(r * columns, columns);
            for (var c = 0; c < columns; c++)
            {
                outRow[c] = (sbyte)Math.Clamp(MathF.Round(row[c] * inverse[c], MidpointRounding.ToEven), -127f, 127f);
            }
        }
        return (q, scales);
    }

    private float[] ReadFloats(TensorProto tensor, long count)
    {
        var values = new float[count];
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            var (location, offset, length) = ExternalData.Describe(tensor);
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            if (length >= 0 && length != bytes.Length)
            {
                throw new InvalidDataException($"weight '{tensor.Name}' records {length} bytes of external data, its shape needs {bytes.Length}");
            }
            using var handle = File.OpenHandle(Path.Combine(modelDirectory, location), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var done = 0;
            while (done < bytes.Length)
            {
                var read = RandomAccess.Read(handle, bytes[done..], offset + done);
                if (read <= 0)
                {
                    throw new InvalidDataException($"{location} ends inside weight '{tensor.Name}'");
                }
                done += read;
            }
            BytesRead += bytes.Length;
        }
        else if (tensor.FloatData.Count == count)
        {
            tensor.FloatData.CopyTo(values, 0);
        }
        else if (tensor.RawData.Length == count * sizeof(float))
        {
            MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).CopyTo(values);
        }
        else
        {
            throw new InvalidDataException($"weight '{tensor.Name}' holds neither {count} floats nor external data");
        }
        return values;
    }
}

/// <summary>
/// Appends tensors to one external-data file at page-aligned offsets (so ONNX Runtime can map them) and points each
/// tensor at it by <paramref name="location"/> (the file's final name, relative to the model's folder), as the spec's
/// external-data fields (location, offset, length) say.
/// </summary>
internal sealed class ExternalDataWriter(string path, string location) : IDisposable
{
    private const int Alignment = 4096;
    private FileStream? _stream;

    public string Path { get; } = path;

    public long Length => _stream?.Position ?? 0;

    public void Store(TensorProto tensor, ReadOnlySpan<byte> bytes)
    {
        _stream ??= new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var offset = (_stream.Position + Alignment - 1) / Alignment * Alignment;
        if (offset > _stream.Position)
        {
            _stream.Write(new byte[offset - _stream.Position]);
        }
        _stream.Write(bytes);
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    public void Dispose() => _stream?.Dispose();
}
