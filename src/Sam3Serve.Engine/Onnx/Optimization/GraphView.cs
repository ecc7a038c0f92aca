using System.Runtime.InteropServices;
using Onnx;

namespace Sam3Serve.Engine.Onnx.Optimization;

/// <summary>
/// Who produces and who reads each tensor of a graph, and the values of small constants (initializers stored inline
/// and <c>Constant</c> nodes), so rewrites can follow data flow instead of node names.
/// </summary>
internal sealed class GraphView
{
    private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs;

    public GraphView(GraphProto graph)
    {
        Graph = graph;
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                if (output.Length > 0)
                {
                    _producer[output] = node;
                }
            }
            foreach (var input in node.Input)
            {
                if (input.Length == 0)
                {
                    continue;
                }
                if (!_consumers.TryGetValue(input, out var list))
                {
                    _consumers[input] = list = [];
                }
                list.Add(node);
            }
        }
        foreach (var tensor in graph.Initializer)
        {
            _initializers[tensor.Name] = tensor;
        }
        _graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
    }

    public GraphProto Graph { get; }

    public NodeProto? Producer(string tensor) => _producer.GetValueOrDefault(tensor);

    public IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>True when <paramref name="tensor"/> is read by exactly one node and is not a graph output.</summary>
    public bool HasSingleReader(string tensor) => Consumers(tensor).Count == 1 && !_graphOutputs.Contains(tensor);

    public bool IsGraphOutput(string tensor) => _graphOutputs.Contains(tensor);

    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>The producer of <paramref name="tensor"/> when it is a node of <paramref name="opType"/> in the default domain.</summary>
    public NodeProto? ProducerOf(string tensor, string opType) =>
        Producer(tensor) is { } node && node.OpType == opType && string.IsNullOrEmpty(node.Domain) ? node : null;

    /// <summary>The only reader of <paramref name="tensor"/> when it is a node of <paramref name="opType"/>.</summary>
    public NodeProto? SingleReader(string tensor, string opType) =>
        HasSingleReader(tensor) && Consumers(tensor)[0] is { } node && node.OpType == opType && string.IsNullOrEmpty(node.Domain) ? node : null;

    /// <summary>
    /// The value of a constant tensor stored in the model (an inline initializer or a <c>Constant</c> node's
    /// <c>value</c>), or null when the tensor is computed, external or too large to matter here.
    /// </summary>
    public TensorProto? SmallConstant(string tensor)
    {
        if (_initializers.TryGetValue(tensor, out var init))
        {
            return init.DataLocation == TensorProto.Types.DataLocation.External ? null : init;
        }
        if (Producer(tensor) is { OpType: "Constant" } node && string.IsNullOrEmpty(node.Domain))
        {
            return node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        }
        return null;
    }

    /// <summary>A one-element float constant, or null.</summary>
    public float? ScalarFloat(string tensor)
    {
        var t = SmallConstant(tensor);
        if (t is null || t.DataType != (int)TensorProto.Types.DataType.Float || t.Dims.Aggregate(1L, (a, d) => a * d) != 1)
        {
            return null;
        }
        if (t.FloatData.Count == 1)
        {
            return t.FloatData[0];
        }
        return t.RawData.Length == 4 ? MemoryMarshal.Read<float>(t.RawData.Span) : null;
    }

    /// <summary>The values of an int64 constant, or null.</summary>
    public long[]? Int64s(string tensor)
    {
        var t = SmallConstant(tensor);
        if (t is null || t.DataType != (int)TensorProto.Types.DataType.Int64)
        {
            return null;
        }
        if (t.Int64Data.Count > 0)
        {
            return [.. t.Int64Data];
        }
        return MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();
    }

    /// <summary>The ints of attribute <paramref name="name"/>, or null when absent.</summary>
    public static long[]? Ints(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : null;

    /// <summary>The int of attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;
}
