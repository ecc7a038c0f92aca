using System.IO.Hashing;
using System.Text;
using Google.Protobuf;
using Onnx;

namespace Sam3Serve.Engine.Onnx.TrunkSharing;

/// <summary>
/// A content signature for every tensor of a graph: two tensors of two graphs with equal signatures hold equal values
/// for equal graph inputs. Initializers are signed by their bytes (read from the external data file when they live
/// there), node outputs by (op, domain, attributes, input signatures, output index), the graph inputs by their
/// position, element type and shape. Nodes with subgraph attributes can read outer-scope names, so their outputs get
/// a signature of their own that never matches another graph's.
/// </summary>
internal sealed class TensorSignatures
{
    private readonly Dictionary<string, UInt128> _byName = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inputDependent = new(StringComparer.Ordinal);

    private TensorSignatures()
    {
    }

    /// <summary>Signature of tensor <paramref name="name"/>, if the graph has it.</summary>
    public bool TryGet(string name, out UInt128 signature) => _byName.TryGetValue(name, out signature);

    /// <summary>All signatures.</summary>
    public IReadOnlyDictionary<string, UInt128> ByName => _byName;

    /// <summary>True when the tensor's value depends on a graph input (not only on weights and constants).</summary>
    public bool DependsOnInput(string name) => _inputDependent.Contains(name);

    /// <summary>Signs every tensor of <paramref name="graph"/>; external data is read relative to <paramref name="modelDirectory"/>.</summary>
    public static TensorSignatures Compute(GraphProto graph, string modelDirectory, InitializerHasher hasher)
    {
        var result = new TensorSignatures();
        var initializerNames = new HashSet<string>(graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        var position = 0;
        foreach (var input in graph.Input)
        {
            if (initializerNames.Contains(input.Name))
            {
                continue;
            }
            result._byName[input.Name] = Hash("input", position++.ToString(System.Globalization.CultureInfo.InvariantCulture), input.Type.ToByteArray());
            result._inputDependent.Add(input.Name);
        }
        foreach (var tensor in graph.Initializer)
        {
            result._byName[tensor.Name] = hasher.Sign(tensor, modelDirectory);
        }
        var graphName = Encoding.UTF8.GetBytes(graph.Name ?? "");
        var nodeIndex = 0;
        foreach (var node in graph.Node)
        {
            var hash = new XxHash128();
            hash.Append(Encoding.UTF8.GetBytes(node.OpType));
            hash.Append("|"u8);
            hash.Append(Encoding.UTF8.GetBytes(node.Domain ?? ""));
            var opaque = false;
            foreach (var attribute in node.Attribute)
            {
                opaque |= attribute.G is not null || attribute.Graphs.Count > 0;
                hash.Append("|a"u8);
                hash.Append(attribute.ToByteArray());
            }
            if (opaque)
            {
                // Subgraphs may read outer names: make this node unique to its graph.
                hash.Append(graphName);
                hash.Append(BitConverter.GetBytes(nodeIndex));
            }
            var dependsOnInput = false;
            foreach (var input in node.Input)
            {
                hash.Append("|i"u8);
                if (input.Length == 0)
                {
                    hash.Append("none"u8);
                    continue;
                }
                if (!result._byName.TryGetValue(input, out var signature))
                {
                    throw new InvalidOperationException($"node '{node.Name}' ({node.OpType}) reads '{input}', which no earlier node, input or initializer defines (the graph is not sorted)");
                }
                hash.Append(ToBytes(signature));
                dependsOnInput |= result._inputDependent.Contains(input);
            }
            var nodeSignature = hash.GetCurrentHashAsUInt128();
            for (var o = 0; o < node.Output.Count; o++)
            {
                var output = node.Output[o];
                if (output.Length == 0)
                {
                    continue;
                }
                result._byName[output] = Hash(ToBytes(nodeSignature), BitConverter.GetBytes(o));
                if (dependsOnInput)
                {
                    result._inputDependent.Add(output);
                }
            }
            nodeIndex++;
        }
        return result;
    }

    private static UInt128 Hash(string kind, string position, byte[] type) =>
        Hash(Encoding.UTF8.GetBytes(kind), Encoding.UTF8.GetBytes(position), type);

    private static UInt128 Hash(params byte[][] parts)
    {
        var hash = new XxHash128();
        foreach (var part in parts)
        {
            hash.Append(part);
            hash.Append("|"u8);
        }
        return hash.GetCurrentHashAsUInt128();
    }

    internal static byte[] ToBytes(UInt128 value)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(bytes, value);
        return bytes;
    }
}
