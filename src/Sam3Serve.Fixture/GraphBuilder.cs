using Google.Protobuf;
using Onnx;

namespace Sam3Serve.Fixture;

/// <summary>A small helper that writes ONNX graphs (opset 17) node by node with the OnnxSharp protobuf types.</summary>
internal sealed class GraphBuilder
{
    public const int Opset = 17;

    private readonly GraphProto _graph;
    private int _counter;

    public GraphBuilder(string name) => _graph = new GraphProto { Name = name };

    /// <summary>Declares a graph input; a dimension is a fixed size (int/long) or a symbolic name (string).</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph output fed by <paramref name="source"/>.</summary>
    public void Output(string name, string source, TensorProto.Types.DataType type, params object[] dims)
    {
        if (source != name)
        {
            Op("Identity", [source], name);
        }
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    public string Floats(float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = NewName("const"), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(float value) => Floats([value]);

    public string Longs(params long[] values)
    {
        var tensor = new TensorProto { Name = NewName("const"), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string LongScalar(long value)
    {
        var tensor = new TensorProto { Name = NewName("const"), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.Add(value);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node with one output; attributes are (name, value) with value int/long, float, string, long[] or float[].</summary>
    public string Op(string opType, string[] inputs, string? output = null, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName(opType) };
        node.Input.AddRange(inputs);
        var result = output ?? NewName(opType.ToLowerInvariant());
        node.Output.Add(result);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(Attribute(name, value));
        }
        _graph.Node.Add(node);
        return result;
    }

    public string Add(string a, string b) => Op("Add", [a, b]);
    public string Sub(string a, string b) => Op("Sub", [a, b]);
    public string Mul(string a, string b) => Op("Mul", [a, b]);
    public string Div(string a, string b) => Op("Div", [a, b]);
    public string Cast(string x, TensorProto.Types.DataType to) => Op("Cast", [x], null, ("to", (long)to));
    public string Unsqueeze(string x, params long[] axes) => Op("Unsqueeze", [x, Longs(axes)]);
    public string Concat(long axis, params string[] inputs) => Op("Concat", inputs, null, ("axis", axis));
    public string ReduceMax(string x, long[] axes, bool keepDims) => Op("ReduceMax", [x], null, ("axes", axes), ("keepdims", keepDims ? 1L : 0L));
    public string ReduceMin(string x, long[] axes, bool keepDims) => Op("ReduceMin", [x], null, ("axes", axes), ("keepdims", keepDims ? 1L : 0L));
    public string ReduceSum(string x, long[] axes, bool keepDims) => Op("ReduceSum", [x, Longs(axes)], null, ("keepdims", keepDims ? 1L : 0L));
    public string Slice(string x, long start, long end, long axis) => Op("Slice", [x, Longs(start), Longs(end), Longs(axis)]);

    /// <summary>x·scale + offset.</summary>
    public string Affine(string x, float scale, float offset) => Add(Mul(x, Scalar(scale)), Scalar(offset));

    public ModelProto Build(string docString)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Sam3Serve.Fixture",
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private string NewName(string prefix) => $"{prefix}_{_counter++}";

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            switch (d)
            {
                case string symbol:
                    dim.DimParam = symbol;
                    break;
                case int i:
                    dim.DimValue = i;
                    break;
                case long l:
                    dim.DimValue = l;
                    break;
                default:
                    throw new ArgumentException($"dimension {d} must be a size or a name");
            }
            shape.Dim.Add(dim);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var attribute = new AttributeProto { Name = name };
        switch (value)
        {
            case int i:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = i;
                break;
            case long l:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = l;
                break;
            case float f:
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = f;
                break;
            case string s:
                attribute.Type = AttributeProto.Types.AttributeType.String;
                attribute.S = ByteString.CopyFromUtf8(s);
                break;
            case long[] ints:
                attribute.Type = AttributeProto.Types.AttributeType.Ints;
                attribute.Ints.AddRange(ints);
                break;
            case float[] floats:
                attribute.Type = AttributeProto.Types.AttributeType.Floats;
                attribute.Floats.AddRange(floats);
                break;
            default:
                throw new ArgumentException($"unsupported attribute value for {name}");
        }
        return attribute;
    }
}
