using Google.Protobuf;
using Onnx;

namespace Sam3Serve.Engine.Interactive;

/// <summary>
/// Makes "no box" a well-formed input of an exported tracker prompt-encoder + mask-decoder.
/// </summary>
/// <remarks>
/// The export traced the prompt encoder with points and boxes both given, so the graph always concatenates the point
/// tokens [B, objects, P, C] with the box tokens [B, boxes, 3, C] on the token axis. With zero boxes the second
/// dimension differs (objects vs 0): ONNX forbids that Concat, ONNX Runtime does not check it and returns P + 3
/// tokens, three of them read from memory no input filled (masks then change from one process to the next). The
/// reference computes "points only" as the points plus one "not a point" token and no box tokens at all.
/// <para>
/// The repair finds that Concat from the graph's data flow (one input computed from the points and labels only, the
/// other from the boxes only; never by node name) and reshapes the box tokens to the point tokens' leading dimensions
/// with the token axis inferred: [B, objects, -1, C]. With one box per object that reshape is the identity, so every
/// input that was well-formed before computes exactly what it did; with zero boxes it yields [B, objects, 0, C] and the
/// Concat adds nothing.
/// </para>
/// </remarks>
internal static class EmptyBoxesRepair
{
    /// <summary>Prefix of the tensors and nodes the repair adds.</summary>
    public const string Prefix = "sam3serve_empty_boxes/";

    private static readonly string[] PointInputs = ["input_points", "input_labels"];
    private const string BoxInput = "input_boxes";

    /// <summary>
    /// Repairs the tracker decoder at <paramref name="path"/>. Returns the repaired graph as bytes (external data stays
    /// where the file names it), or null with the reason when the graph has no point/box token concatenation.
    /// </summary>
    public static (byte[]? Model, string Description) TryRepair(string path)
    {
        ModelProto model;
        using (var stream = File.OpenRead(path))
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }
        var result = TryRepair(model);
        return (result.Repaired ? model.ToByteArray() : null, result.Description);
    }

    /// <summary>Repairs <paramref name="model"/> in place; false (with the reason) when there is nothing to repair.</summary>
    public static (bool Repaired, string Description) TryRepair(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        if (!inputs.Contains(BoxInput) || !PointInputs.All(inputs.Contains))
        {
            return (false, "the decoder has no input_points/input_labels/input_boxes inputs");
        }
        var reads = PromptDependencies(graph);
        var candidates = new List<(int Node, int PointInput, int BoxTokens)>();
        for (var n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            if (node.OpType != "Concat" || node.Domain is not ("" or "ai.onnx") || node.Input.Count != 2)
            {
                continue;
            }
            var first = reads.GetValueOrDefault(node.Input[0], Prompt.None);
            var second = reads.GetValueOrDefault(node.Input[1], Prompt.None);
            if (first is Prompt.Points && second is Prompt.Boxes)
            {
                candidates.Add((n, 0, 1));
            }
            else if (first is Prompt.Boxes && second is Prompt.Points)
            {
                candidates.Add((n, 1, 0));
            }
        }
        if (candidates.Count == 0)
        {
            return (false, "no Concat joins tokens computed from the points alone with tokens computed from the boxes alone");
        }
        if (candidates.Count > 1)
        {
            return (false, $"{candidates.Count} Concat nodes join point-only and box-only tensors; which one holds the prompt tokens is ambiguous");
        }
        var (index, pointSide, boxSide) = candidates[0];
        var concat = graph.Node[index];
        var axis = concat.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0;
        var pointTokens = concat.Input[pointSide];
        var boxTokens = concat.Input[boxSide];

        // target = pointTokens.shape[:axis] ++ [-1] ++ pointTokens.shape[axis+1:]; negative axes slice from the end.
        var added = new List<NodeProto>();
        string Name(string what) => Prefix + what;
        graph.Initializer.Add(Longs(Name("zero"), 0));
        graph.Initializer.Add(Longs(Name("axis"), axis));
        graph.Initializer.Add(Longs(Name("after_axis"), axis + 1));
        graph.Initializer.Add(Longs(Name("end"), long.MaxValue));
        graph.Initializer.Add(Longs(Name("minus_one"), -1));
        added.Add(Node("Shape", [pointTokens], Name("point_shape")));
        added.Add(Node("Slice", [Name("point_shape"), Name("zero"), Name("axis"), Name("zero")], Name("before")));
        var parts = new List<string> { Name("before"), Name("minus_one") };
        if (axis != -1)
        {
            added.Add(Node("Slice", [Name("point_shape"), Name("after_axis"), Name("end"), Name("zero")], Name("after")));
            parts.Add(Name("after"));
        }
        var targetShape = Node("Concat", parts, Name("target_shape"));
        targetShape.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        added.Add(targetShape);
        added.Add(Node("Reshape", [boxTokens, Name("target_shape")], Name("box_tokens")));
        concat.Input[boxSide] = Name("box_tokens");
        // Inserted just before the Concat: the new nodes read only what is computed by then, so the order stays topological.
        for (var i = added.Count - 1; i >= 0; i--)
        {
            graph.Node.Insert(index, added[i]);
        }
        return (true, $"the box tokens ('{boxTokens}') are reshaped to the point tokens' leading dimensions before they are concatenated on axis {axis} with the point tokens ('{pointTokens}'), so zero boxes add no token");
    }

    [Flags]
    private enum Prompt
    {
        None = 0,
        Points = 1,
        Boxes = 2,
    }

    /// <summary>Which prompt inputs each tensor is computed from (nodes are in topological order in a valid graph).</summary>
    private static Dictionary<string, Prompt> PromptDependencies(GraphProto graph)
    {
        var reads = new Dictionary<string, Prompt>(StringComparer.Ordinal) { [BoxInput] = Prompt.Boxes };
        foreach (var name in PointInputs)
        {
            reads[name] = Prompt.Points;
        }
        foreach (var node in graph.Node)
        {
            var prompt = Prompt.None;
            foreach (var input in node.Input)
            {
                prompt |= reads.GetValueOrDefault(input, Prompt.None);
            }
            // A subgraph (If, Loop) may read outer tensors by name; count them so no dependency is missed.
            foreach (var attribute in node.Attribute.Where(a => a.G is not null))
            {
                foreach (var inner in attribute.G.Node.SelectMany(n => n.Input))
                {
                    prompt |= reads.GetValueOrDefault(inner, Prompt.None);
                }
            }
            foreach (var output in node.Output)
            {
                reads[output] = prompt;
            }
        }
        return reads;
    }

    private static NodeProto Node(string op, IEnumerable<string> inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static TensorProto Longs(string name, long value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(1);
        tensor.Int64Data.Add(value);
        return tensor;
    }
}
