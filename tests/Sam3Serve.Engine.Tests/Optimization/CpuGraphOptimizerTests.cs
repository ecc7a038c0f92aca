using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Sam3Serve.Engine.Onnx.Optimization;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Optimization;

/// <summary>
/// The CPU rewrites on small hand-built graphs: a plain attention block becomes MultiHeadAttention with the same
/// outputs; a block with anything between its products, or an unknown head count, stays as it is; large constant
/// MatMuls become DynamicQuantizeMatMul and small ones stay fp32.
/// </summary>
public sealed class CpuGraphOptimizerTests
{
    private const int Tokens = 6, Heads = 2, HeadSize = 4, Width = Heads * HeadSize;

    [Fact]
    public void AttentionRewrite_PlainBlock_BecomesMultiHeadAttentionWithTheSameOutputs()
    {
        var model = AttentionModel(AttentionVariant.Plain);
        var plain = model.ToByteArray();

        Assert.Equal(1, AttentionRewrite.Apply(model));

        var ops = model.Graph.Node.Select(n => n.OpType).ToList();
        Assert.Contains("MultiHeadAttention", ops);
        Assert.DoesNotContain("Softmax", ops);
        var mha = Assert.Single(model.Graph.Node, n => n.OpType == "MultiHeadAttention");
        Assert.Equal("com.microsoft", mha.Domain);
        Assert.Equal(Heads, mha.Attribute.Single(a => a.Name == "num_heads").I);
        Assert.Equal(0.5f, mha.Attribute.Single(a => a.Name == "scale").F);
        AssertSorted(model.Graph);

        var input = Values(1 * Tokens * Width, seed: 3);
        var expected = Run(plain, input);
        var actual = Run(model.ToByteArray(), input);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f * MathF.Max(1f, MathF.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }

    [Theory]
    [InlineData(AttentionVariant.MaskBeforeSoftmax)]
    [InlineData(AttentionVariant.ComputedHeadCount)]
    [InlineData(AttentionVariant.ScoresReadTwice)]
    public void AttentionRewrite_PatternAbsent_LeavesTheGraphUnchanged(AttentionVariant variant)
    {
        var model = AttentionModel(variant);
        var before = model.ToByteArray();

        Assert.Equal(0, AttentionRewrite.Apply(model));

        Assert.Equal(before, model.ToByteArray());
    }

    [Fact]
    public void Optimize_LargeConstantWeights_BecomeInt8_SmallOnesStayFp32()
    {
        using var dir = new TempDir("sam3serve-quant");
        var source = Path.Combine(dir.Path, "mlp.onnx");
        var model = MlpModel();
        File.WriteAllBytes(source, model.ToByteArray());
        var destination = Path.Combine(dir.Path, "mlp-int8.onnx");

        var report = CpuGraphOptimizer.Optimize(source, destination, CpuOptimization.Full);

        Assert.Equal(destination, report.Destination);
        Assert.Equal(1, report.QuantizedMatMuls);
        Assert.Equal(0, report.AttentionBlocks);
        var written = ModelProto.Parser.ParseFrom(File.ReadAllBytes(destination));
        var quantized = Assert.Single(written.Graph.Node, n => n.OpType == "DynamicQuantizeMatMul");
        Assert.Equal("com.microsoft", quantized.Domain);
        Assert.Single(written.Graph.Node, n => n.OpType == "MatMul"); // the 512×256 one
        var weight = written.Graph.Initializer.Single(t => t.Name == quantized.Input[1]);
        Assert.Equal((int)TensorProto.Types.DataType.Int8, weight.DataType);
        Assert.Equal(TensorProto.Types.DataLocation.External, weight.DataLocation);
        Assert.Equal(512, written.Graph.Initializer.Single(t => t.Name == quantized.Input[2]).Dims.Single()); // one scale per column
        Assert.DoesNotContain(written.Graph.Initializer, t => t.Name == "w_big"); // the fp32 copy is no longer read
        Assert.Equal(model.ToByteArray(), File.ReadAllBytes(source)); // the original is kept as it was

        var input = Values(4 * 512, seed: 5);
        var expected = Run(File.ReadAllBytes(source), input, dir.Path);
        var actual = Run(File.ReadAllBytes(destination), input, dir.Path);
        var scale = expected.Max(MathF.Abs);
        var worst = expected.Zip(actual).Max(p => MathF.Abs(p.First - p.Second));
        Assert.True(worst > 0, "int8 products should differ from fp32 somewhere");
        Assert.True(worst <= 0.02f * scale, $"max |int8 - fp32| {worst} against values up to {scale}");
    }

    [Fact]
    public void Optimize_NothingToRewrite_WritesNothing()
    {
        using var dir = new TempDir("sam3serve-quant");
        var source = Path.Combine(dir.Path, "attention.onnx");
        File.WriteAllBytes(source, AttentionModel(AttentionVariant.MaskBeforeSoftmax).ToByteArray());
        var destination = Path.Combine(dir.Path, "attention-int8.onnx");

        var report = CpuGraphOptimizer.Optimize(source, destination, CpuOptimization.Full);

        Assert.Null(report.Destination);
        Assert.False(File.Exists(destination));
        Assert.False(File.Exists(destination + ".data"));
        Assert.False(File.Exists(destination + ".data.tmp"));
    }

    [Fact]
    public void QuantizePerColumn_EachWeightWithinHalfAStep_ColumnMaximumAt127()
    {
        const int rows = 3, columns = 4;
        float[] w = [0.5f, -2f, 0f, 1e-3f, -0.25f, 1f, 0f, -1e-3f, 0.1f, 0.5f, 0f, 5e-4f];

        var (q, scales) = MatMulQuantizer.QuantizePerColumn(w, rows, columns);

        Assert.Equal(0.5f / 127, scales[0], 6);
        Assert.Equal(2f / 127, scales[1], 6);
        Assert.Equal(1f, scales[2]); // an all-zero column
        Assert.Equal(127, q[0]);
        Assert.Equal(-127, q[1]);
        for (var i = 0; i < w.Length; i++)
        {
            var s = scales[i % columns];
            Assert.True(MathF.Abs(w[i] - q[i] * s) <= s / 2 + 1e-9f, $"weight {i}: {w[i]} vs {q[i]} × {s}");
        }
    }

    public enum AttentionVariant
    {
        Plain,
        MaskBeforeSoftmax,
        ComputedHeadCount,
        ScoresReadTwice,
    }

    /// <summary>
    /// x [1, T, C] → per head Q, K, V as the exports write them (Reshape to [B, T, heads, D], Transpose to
    /// [B, heads, T, D]), Q·Kᵀ·0.5 → Softmax → ·V → Transpose back → Reshape [1, T, C].
    /// </summary>
    private static ModelProto AttentionModel(AttentionVariant variant)
    {
        var g = new Graph("attention");
        var x = g.Input("x", 1, Tokens, Width);
        var shape = variant == AttentionVariant.ComputedHeadCount
            ? g.Node("Concat", [g.Node("Shape", [x], ("start", 0L), ("end", 1L)), g.Node("Shape", [x], ("start", 1L), ("end", 2L)), g.Node("Div", [g.Longs(Width), g.Longs(HeadSize)]), g.Longs(HeadSize)], ("axis", 0L))
            : g.Node("Concat", [g.Longs(1), g.Longs(Tokens), g.Longs(Heads), g.Longs(HeadSize)], ("axis", 0L));
        string Project(string name, int seed) =>
            g.Node("Transpose", [g.Node("Reshape", [g.Node("MatMul", [x, g.Floats(name, Values(Width * Width, seed), Width, Width)]), shape])], ("perm", new long[] { 0, 2, 1, 3 }));
        // V first, as in the exports: the new nodes must go where the block ends, not where its first node was.
        var v = Project("wv", 3);
        var q = Project("wq", 1);
        var k = Project("wk", 2);
        var scores = g.Node("Mul", [g.Node("MatMul", [q, g.Node("Transpose", [k], ("perm", new long[] { 0, 1, 3, 2 }))]), g.Floats("half", [0.5f])]);
        if (variant == AttentionVariant.MaskBeforeSoftmax)
        {
            scores = g.Node("Add", [scores, g.Floats("mask", Values(Tokens * Tokens, 9), Tokens, Tokens)]);
        }
        var probabilities = g.Node("Softmax", [scores], ("axis", -1L));
        var weighted = g.Node("Transpose", [g.Node("MatMul", [probabilities, v])], ("perm", new long[] { 0, 2, 1, 3 }));
        var output = g.Node("Reshape", [weighted, g.Longs(1, Tokens, Width)]);
        g.Output("y", output);
        if (variant == AttentionVariant.ScoresReadTwice)
        {
            g.Output("p", probabilities);
        }
        return g.Model();
    }

    /// <summary>x [1, 4, 512] → MatMul 512×512 (quantized) → MatMul 512×256 (too small) → y.</summary>
    private static ModelProto MlpModel()
    {
        var g = new Graph("mlp");
        var x = g.Input("x", 1, 4, 512);
        var hidden = g.Node("MatMul", [x, g.Floats("w_big", Values(512 * 512, 7), 512, 512)]);
        g.Output("y", g.Node("MatMul", [hidden, g.Floats("w_small", Values(512 * 256, 8), 512, 256)]));
        return g.Model();
    }

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static float[] Run(byte[] model, float[] input, string? dataDirectory = null)
    {
        using var options = new SessionOptions();
        if (dataDirectory is not null)
        {
            options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", dataDirectory);
        }
        using var session = new InferenceSession(model, options);
        var dims = session.InputMetadata["x"].Dimensions.Select(d => (long)d).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(input, dims);
        using var results = session.Run(new RunOptions(), ["x"], [value], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static void AssertSorted(GraphProto graph)
    {
        var defined = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(i => i.Name)).ToHashSet();
        foreach (var node in graph.Node)
        {
            Assert.All(node.Input.Where(i => i.Length > 0), i => Assert.True(defined.Contains(i), $"{node.Name} reads {i} before it is computed"));
            defined.UnionWith(node.Output);
        }
    }

    /// <summary>Builds a small opset-17 graph with the ONNX protobuf types.</summary>
    private sealed class Graph(string name)
    {
        private readonly GraphProto _graph = new() { Name = name };
        private int _next;

        public string Input(string tensor, params long[] dims)
        {
            _graph.Input.Add(Value(tensor, dims));
            return tensor;
        }

        public void Output(string tensor, string source)
        {
            _graph.Node.Add(new NodeProto { OpType = "Identity", Name = "out_" + tensor, Input = { source }, Output = { tensor } });
            _graph.Output.Add(new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }

        public string Floats(string tensor, float[] values, params long[] dims)
        {
            var t = new TensorProto { Name = tensor, DataType = (int)TensorProto.Types.DataType.Float };
            t.Dims.AddRange(dims);
            t.FloatData.AddRange(values);
            _graph.Initializer.Add(t);
            return tensor;
        }

        public string Longs(params long[] values)
        {
            var t = new TensorProto { Name = $"c{_next++}", DataType = (int)TensorProto.Types.DataType.Int64 };
            t.Dims.Add(values.Length);
            t.Int64Data.AddRange(values);
            _graph.Initializer.Add(t);
            return t.Name;
        }

        public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes)
        {
            var output = $"{op.ToLowerInvariant()}_{_next++}";
            var node = new NodeProto { OpType = op, Name = output, Output = { output } };
            node.Input.AddRange(inputs);
            foreach (var (attr, value) in attributes)
            {
                node.Attribute.Add(value switch
                {
                    long i => new AttributeProto { Name = attr, Type = AttributeProto.Types.AttributeType.Int, I = i },
                    long[] ints => new AttributeProto { Name = attr, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints } },
                    _ => throw new ArgumentException(attr),
                });
            }
            _graph.Node.Add(node);
            return output;
        }

        public ModelProto Model() => new()
        {
            IrVersion = 8,
            Graph = _graph,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } },
        };

        private static ValueInfoProto Value(string tensor, long[] dims)
        {
            var type = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
            foreach (var d in dims)
            {
                type.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }
            return new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = type } };
        }
    }
}
