using Google.Protobuf;
using Onnx;

namespace Sam3Serve.PrecisionProbe;

/// <summary>
/// Turns a float32 ONNX graph into a float16 one the way usls's "-fp16" exports are (every float tensor stored and
/// computed in half precision) while keeping the float32 interface: a Cast after each float input and before each
/// float output. External weights (<c>.onnx.data</c>) are read in and written back inline as float16.
/// </summary>
internal static class Float16Conversion
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Half = (int)TensorProto.Types.DataType.Float16;

    // Inputs that ONNX defines as float32 whatever the data type (Resize scales); their producers stay float32.
    private static readonly Dictionary<string, int[]> Float32Inputs = new(StringComparer.Ordinal)
    {
        ["Resize"] = [2],
        ["Upsample"] = [1],
    };

    public static ModelProto Load(string path)
    {
        using var stream = File.OpenRead(path);
        var model = ModelProto.Parser.ParseFrom(stream);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        foreach (var tensor in model.Graph.Initializer)
        {
            InlineExternal(tensor, folder);
        }
        return model;
    }

    public static ModelProto ToFloat16(ModelProto source)
    {
        var model = source.Clone();
        var graph = model.Graph;
        var keepFloat = KeepFloat32Names(graph);

        foreach (var tensor in graph.Initializer.Where(t => t.DataType == Float && !keepFloat.Contains(t.Name)))
        {
            ConvertTensor(tensor);
        }
        foreach (var node in graph.Node)
        {
            var keep = node.Output.Any(keepFloat.Contains);
            foreach (var attribute in node.Attribute)
            {
                if (keep)
                {
                    continue;
                }
                if (attribute.T is { DataType: Float } t && node.OpType is "Constant" or "ConstantOfShape")
                {
                    ConvertTensor(t);
                }
                if (node.OpType is "Cast" or "RandomNormalLike" or "EyeLike" && attribute.Name is "to" or "dtype" && attribute.I == Float)
                {
                    attribute.I = Half;
                }
            }
        }

        // Float32 interface: "x" becomes "x" (f32) -> Cast -> "x__f16" feeding the graph.
        var prologue = new List<NodeProto>();
        foreach (var input in graph.Input.Where(i => i.Type.TensorType.ElemType == Float))
        {
            var renamed = input.Name + "__f16";
            foreach (var node in graph.Node)
            {
                Rename(node.Input, input.Name, renamed);
            }
            prologue.Add(CastNode(input.Name, renamed, Half));
        }
        foreach (var output in graph.Output.Where(o => o.Type.TensorType.ElemType == Float))
        {
            var renamed = output.Name + "__f16";
            foreach (var node in graph.Node)
            {
                Rename(node.Output, output.Name, renamed);
                Rename(node.Input, output.Name, renamed);
            }
            graph.Node.Add(CastNode(renamed, output.Name, Float));
        }
        for (var i = prologue.Count - 1; i >= 0; i--)
        {
            graph.Node.Insert(0, prologue[i]);
        }
        // Shapes of intermediates are re-inferred by ONNX Runtime; stale float32 annotations would contradict them.
        graph.ValueInfo.Clear();
        return model;
    }

    private static HashSet<string> KeepFloat32Names(GraphProto graph)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (Float32Inputs.TryGetValue(node.OpType, out var positions))
            {
                foreach (var p in positions.Where(p => p < node.Input.Count && node.Input[p].Length > 0))
                {
                    keep.Add(node.Input[p]);
                }
            }
        }
        return keep;
    }

    private static void Rename(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == from)
            {
                names[i] = to;
            }
        }
    }

    private static NodeProto CastNode(string input, string output, int to)
    {
        var node = new NodeProto { OpType = "Cast", Name = "probe_cast_" + output };
        node.Input.Add(input);
        node.Output.Add(output);
        node.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = to });
        return node;
    }

    private static void ConvertTensor(TensorProto tensor)
    {
        float[] values;
        if (tensor.FloatData.Count > 0)
        {
            values = [.. tensor.FloatData];
            tensor.FloatData.Clear();
        }
        else
        {
            var raw = tensor.RawData.Span;
            values = new float[raw.Length / 4];
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
        }
        var halves = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(halves.AsSpan(i * 2, 2), (Half)values[i]);
        }
        tensor.RawData = ByteString.CopyFrom(halves);
        tensor.DataType = Half;
    }

    private static void InlineExternal(TensorProto tensor, string folder)
    {
        if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
        {
            return;
        }
        var info = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        var offset = info.TryGetValue("offset", out var o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var length = long.Parse(info["length"], System.Globalization.CultureInfo.InvariantCulture);
        using var file = File.OpenRead(Path.Combine(folder, info["location"]));
        file.Position = offset;
        var bytes = new byte[length];
        file.ReadExactly(bytes);
        tensor.RawData = ByteString.CopyFrom(bytes);
        tensor.ExternalData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.Default;
    }
}
