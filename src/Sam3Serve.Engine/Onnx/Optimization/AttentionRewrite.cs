using Onnx;

namespace Sam3Serve.Engine.Onnx.Optimization;

/// <summary>
/// Replaces plain multi-head attention (<c>Softmax(Q·Kᵀ·s)·V</c> on [B, heads, T, D] tensors, without mask or bias)
/// by <c>com.microsoft.MultiHeadAttention</c> on [B, T, heads·D] tensors, whose CPU kernel runs a flash-attention loop
/// and never holds the [B, heads, T, T] score matrix. Blocks are found by data flow:
/// <code>
///   S = MatMul(Q, Transpose(K, perm 0,1,3,2)) → optional Mul/Div by a scalar constant → Softmax(last axis)
///   O = MatMul(S, V) → Transpose(perm 0,2,1,3)
/// </code>
/// where V is <c>Transpose(Reshape(x, [.., .., heads, D]), perm 0,2,1,3)</c> with a constant head count. Anything
/// that reads the intermediates, a mask or bias between the products, or an unknown head count leaves the block as
/// it is. The rotary embedding on Q and K stays outside the op; the math is the same, only summed in another order.
/// </summary>
internal static class AttentionRewrite
{
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>Rewrites every matching block of <paramref name="model"/> in place; returns how many.</summary>
    public static int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var view = new GraphView(graph);
        var opset = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain))?.Version ?? 1;
        var matches = new List<Match>();
        foreach (var node in graph.Node)
        {
            if (TryMatch(view, node, opset) is { } match)
            {
                matches.Add(match);
            }
        }
        if (matches.Count == 0)
        {
            return 0;
        }
        var removed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var insertBefore = new Dictionary<NodeProto, List<NodeProto>>(ReferenceEqualityComparer.Instance);
        var index = 0;
        foreach (var m in matches)
        {
            var prefix = $"sam3serve_mha_{index++}";
            var flatten = Int64Constant(graph, prefix + "_flat", [0, 0, -1]);
            var split = Int64Constant(graph, prefix + "_split", [0, 0, m.Heads, -1]);
            var nodes = new List<NodeProto>
            {
                Node("Transpose", [m.Query], prefix + "_q_bthd", ("perm", [0, 2, 1, 3])),
                Node("Reshape", [prefix + "_q_bthd", flatten], prefix + "_q"),
                Node("Transpose", [m.Key], prefix + "_k_bthd", ("perm", [0, 2, 1, 3])),
                Node("Reshape", [prefix + "_k_bthd", flatten], prefix + "_k"),
                Node("Reshape", [m.ValueBthd, flatten], prefix + "_v"),
            };
            var mha = new NodeProto { OpType = "MultiHeadAttention", Domain = MicrosoftDomain, Name = prefix };
            mha.Input.AddRange([prefix + "_q", prefix + "_k", prefix + "_v"]);
            mha.Output.Add(prefix + "_out");
            mha.Attribute.Add(new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = m.Heads });
            mha.Attribute.Add(new AttributeProto { Name = "scale", Type = AttributeProto.Types.AttributeType.Float, F = m.Scale });
            nodes.Add(mha);
            // The block's output keeps its name and its [B, T, heads, D] layout, so its readers are untouched.
            nodes.Add(Node("Reshape", [prefix + "_out", split], m.Output));
            // Where the block's output was computed every input of the new nodes exists, and every reader comes after.
            insertBefore[m.OutputNode] = nodes;
            removed.UnionWith(m.Nodes);
        }
        var rebuilt = new List<NodeProto>(graph.Node.Count);
        foreach (var node in graph.Node)
        {
            if (insertBefore.TryGetValue(node, out var added))
            {
                rebuilt.AddRange(added);
            }
            if (!removed.Contains(node))
            {
                rebuilt.Add(node);
            }
        }
        graph.Node.Clear();
        graph.Node.AddRange(rebuilt);
        DeadNodes.Remove(graph);
        if (!model.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }
        return matches.Count;
    }

    private sealed record Match(string Query, string Key, string ValueBthd, long Heads, float Scale, string Output, NodeProto OutputNode, List<NodeProto> Nodes);

    private static Match? TryMatch(GraphView view, NodeProto scores, long opset)
    {
        if (scores.OpType != "MatMul" || !string.IsNullOrEmpty(scores.Domain) || scores.Input.Count != 2)
        {
            return null;
        }
        var keyTranspose = view.ProducerOf(scores.Input[1], "Transpose");
        if (keyTranspose is null || !Perm(keyTranspose, 0, 1, 3, 2) || !view.HasSingleReader(keyTranspose.Output[0]))
        {
            return null;
        }
        var nodes = new List<NodeProto> { keyTranspose, scores };
        var scale = 1f;
        var current = scores.Output[0];
        if (!view.HasSingleReader(current))
        {
            return null;
        }
        var next = view.Consumers(current)[0];
        if (string.IsNullOrEmpty(next.Domain) && next.OpType is "Mul" or "Div" && next.Input.Count == 2 && next.Input[0] == current)
        {
            if (view.ScalarFloat(next.Input[1]) is not { } factor || factor == 0 || !float.IsFinite(factor))
            {
                return null;
            }
            scale = next.OpType == "Mul" ? factor : 1f / factor;
            nodes.Add(next);
            current = next.Output[0];
        }
        var softmax = view.SingleReader(current, "Softmax");
        if (softmax is null)
        {
            return null;
        }
        var axis = GraphView.Int(softmax, "axis", opset >= 13 ? -1 : 1);
        if (axis is not (-1 or 3))
        {
            return null;
        }
        nodes.Add(softmax);
        var weighted = view.SingleReader(softmax.Output[0], "MatMul");
        if (weighted is null || weighted.Input[0] != softmax.Output[0])
        {
            return null;
        }
        nodes.Add(weighted);
        var output = view.SingleReader(weighted.Output[0], "Transpose");
        if (output is null || !Perm(output, 0, 2, 1, 3))
        {
            return null;
        }
        nodes.Add(output);

        // V arrives as Transpose(Reshape(x, [B, T, heads, D])): the Reshape's output is V in [B, T, heads, D] already,
        // and its shape names the head count MultiHeadAttention needs.
        var valueTranspose = view.ProducerOf(weighted.Input[1], "Transpose");
        if (valueTranspose is null || !Perm(valueTranspose, 0, 2, 1, 3))
        {
            return null;
        }
        var valueReshape = view.ProducerOf(valueTranspose.Input[0], "Reshape");
        if (valueReshape is null || HeadCount(view, valueReshape.Input[1]) is not { } heads || heads <= 0)
        {
            return null;
        }
        if (view.HasSingleReader(valueTranspose.Output[0]))
        {
            nodes.Add(valueTranspose);
        }
        return new Match(scores.Input[0], keyTranspose.Input[0], valueTranspose.Input[0], heads, scale, output.Output[0], output, nodes);
    }

    /// <summary>Element 2 of a 4-element Reshape shape: a constant, or a Concat whose third piece is a constant.</summary>
    private static long? HeadCount(GraphView view, string shape)
    {
        if (view.Int64s(shape) is { Length: 4 } constant)
        {
            return constant[2];
        }
        var concat = view.ProducerOf(shape, "Concat");
        if (concat is null || GraphView.Int(concat, "axis", 0) != 0)
        {
            return null;
        }
        // Each piece is one element in the exports (Unsqueezed scalars and 1-element constants); check the constant ones.
        var pieces = concat.Input.Select(view.Int64s).ToList();
        if (pieces.Count != 4 || pieces.Any(p => p is not null && p.Length != 1))
        {
            return null;
        }
        return pieces[2]?[0];
    }

    private static bool Perm(NodeProto transpose, params long[] perm) =>
        GraphView.Ints(transpose, "perm") is { } p && p.SequenceEqual(perm);

    private static NodeProto Node(string op, string[] inputs, string output, params (string Name, long[] Ints)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (name, ints) in attributes)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.AddRange(ints);
            node.Attribute.Add(attribute);
        }
        return node;
    }

    private static string Int64Constant(GraphProto graph, string name, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        graph.Initializer.Add(tensor);
        return name;
    }
}

/// <summary>Removes nodes none of whose outputs is read or is a graph output, and initializers nothing reads.</summary>
internal static class DeadNodes
{
    public static void Remove(GraphProto graph)
    {
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            var read = graph.Node.SelectMany(n => n.Input).Where(i => i.Length > 0).ToHashSet(StringComparer.Ordinal);
            var dead = graph.Node.Where(n => !n.Output.Any(o => o.Length > 0 && (read.Contains(o) || outputs.Contains(o)))).ToList();
            if (dead.Count == 0)
            {
                var unread = graph.Initializer.Where(i => !read.Contains(i.Name) && !outputs.Contains(i.Name)).ToList();
                foreach (var tensor in unread)
                {
                    graph.Initializer.Remove(tensor);
                    // An initializer listed as an input too (older exports) goes with it.
                    if (graph.Input.FirstOrDefault(i => i.Name == tensor.Name) is { } input)
                    {
                        graph.Input.Remove(input);
                    }
                }
                return;
            }
            foreach (var node in dead)
            {
                graph.Node.Remove(node);
            }
        }
    }
}
