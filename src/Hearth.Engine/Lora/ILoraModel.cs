namespace Hearth.Engine.Lora;

/// <summary>A model that runs LoRA adapters next to its own weights (the decoder does; encoders do not).</summary>
public interface ILoraModel
{
    /// <summary>Loads a llama.cpp LoRA adapter GGUF for this model, sharing the base weights. Throws
    /// <see cref="LoraException"/> when the file is not an adapter for this model (architecture, tensor names or
    /// shapes differ). Thread-safe with respect to running forward passes.</summary>
    LoraAdapter LoadAdapter(string path, string name);
}

/// <summary>An adapter file that cannot be used with the model (not an adapter, another architecture, wrong shapes).</summary>
public sealed class LoraException(string message) : Exception(message);
