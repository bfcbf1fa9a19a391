// A stand-in pairwise judge: prefers the longer response, and calls a tie when the lengths are within 5 characters.
// promptfoo passes the rendered prompt; the two responses sit between the markers the prompt template writes.
module.exports = class LengthJudge {
  constructor(options) { this.providerId = (options && options.id) || 'length-judge'; }
  id() { return this.providerId; }
  async callApi(prompt) {
    const a = (prompt.split('[Response A]\n')[1] || '').split('\n[End of Response A]')[0];
    const b = (prompt.split('[Response B]\n')[1] || '').split('\n[End of Response B]')[0];
    const verdict = Math.abs(a.length - b.length) <= 5 ? 'C' : (a.length > b.length ? 'A' : 'B');
    return { output: `Response A has ${a.length} characters, response B ${b.length}. [[${verdict}]]` };
  }
};
