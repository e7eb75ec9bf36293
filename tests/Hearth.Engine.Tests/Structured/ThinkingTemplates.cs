namespace Hearth.Engine.Tests.Structured;

/// <summary>Chat templates for reasoning tests. The DeepSeek-R1 distill templates are real (../shared/reference);
/// <see cref="Qwen3Style"/> is written for these tests after Qwen3's template — the parts that matter here (tools listed by name only, to fit a test model's small context): the
/// generation prompt writes an empty think block when enable_thinking is false, earlier assistant turns lose
/// their thinking, tool calls are Hermes &lt;tool_call&gt; blocks and tool results &lt;tool_response&gt; blocks.</summary>
public static class ThinkingTemplates
{
    public const string DeepSeekLlama = "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja";
    public const string DeepSeekQwen = "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja";

    public const string Qwen3Style = """
        {%- if tools %}{{- '<|im_start|>system\n<tools>' }}{%- for tool in tools %}{{- tool.function.name + ' ' }}{%- endfor %}{{- '</tools><|im_end|>\n' }}
        {%- elif messages[0].role == 'system' %}{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}{%- endif %}
        {%- set ns = namespace(last_query_index=0) %}
        {%- for message in messages %}{%- if message.role == 'user' %}{%- set ns.last_query_index = loop.index0 %}{%- endif %}{%- endfor %}
        {%- for message in messages %}
        {%- set content = message.content if message.content is string else '' %}
        {%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}{{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>\n' }}
        {%- elif message.role == 'assistant' %}
        {%- set reasoning = '' %}
        {%- if '</think>' in content %}{%- set reasoning = content.split('</think>')[0].split('<think>')[-1].strip() %}{%- set content = content.split('</think>')[-1].lstrip() %}{%- endif %}
        {%- if loop.index0 > ns.last_query_index and reasoning %}{{- '<|im_start|>assistant\n<think>\n' + reasoning + '\n</think>\n\n' + content }}{%- else %}{{- '<|im_start|>assistant\n' + content }}{%- endif %}
        {%- if message.tool_calls %}{%- for call in message.tool_calls %}{%- set f = call.function if call.function else call %}{{- '\n<tool_call>\n{"name": "' + f.name + '", "arguments": ' + (f.arguments if f.arguments is string else f.arguments | tojson) + '}\n</tool_call>' }}{%- endfor %}{%- endif %}
        {{- '<|im_end|>\n' }}
        {%- elif message.role == 'tool' %}{{- '<|im_start|>user\n<tool_response>\n' + content + '\n</tool_response><|im_end|>\n' }}
        {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\n\n</think>\n\n' }}{%- endif %}{%- endif %}
        """;
}
