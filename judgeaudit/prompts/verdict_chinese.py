"""Verdicts written in Chinese, read by rewriting their cues into the English the parser reads:
"最终判决：[[A]]", "因此，回答B更好。", "助手A优于助手B", "两者相当" / "平局" (simplified and traditional)."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")

_LABEL = r"(?:Response [AaBb12]|the (?:first|second) response|(?<![A-Za-z])[AB](?![A-Za-z]))"
_GOOD = r"(?:好|優秀|优秀|出色|強|强|佳|優|优|準確|准确|全面|有幫助|有帮助)"
_NOT = r"(?:並不|并不|並非|并非|不是|沒有|没有|不)"

# Ordered: labels first, then comparisons between labels, then single cues.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"(?:回答|回覆|回复|答案|答覆|答复|回應|回应|響應|响应|輸出|输出|助手|助理|模型|候選|候选|選項|选项)\s*[(（]?\s*([AaBb12])\s*[)）]?",
     r" Response \1 "),
    (r"(?<![A-Za-z])([AaBb12])(?![A-Za-z0-9])\s*(?:的|之)\s*(?:回答|回覆|回复|答案|輸出|输出)", r" Response \1 "),
    (r"第一(?:個|个)?(?:回答|回覆|回复|答案|輸出|输出|助手|模型)|前者", " the first response "),
    (r"第二(?:個|个)?(?:回答|回覆|回复|答案|輸出|输出|助手|模型)|後者|后者", " the second response "),
    (rf"({_LABEL})\s*{_NOT}\s*(?:比|較|较)\s*({_LABEL})\s*(?:更|要)?{_GOOD}", r" \1 is not better than \2 "),
    (rf"({_LABEL})\s*(?:比|相比於|相比于|較|较)\s*({_LABEL})\s*(?:更|要|更加)?{_GOOD}", r" \1 is better than \2 "),
    (rf"({_LABEL})\s*(?:優於|优于|勝過|胜过|強於|强于|好於|好于|勝於|胜于)\s*({_LABEL})", r" \1 is better than \2 "),
    (rf"({_LABEL})\s*(?:不如|比不上|遜於|逊于|劣於|劣于)\s*({_LABEL})", r" \2 is better than \1 "),
    (r"我(?:更)?(?:決定|决定)?(?:傾向於|倾向于|喜歡|喜欢|偏好|選擇|选择|選|选|會選|会选|推薦|推荐)", " I prefer "),
    (r"(?:最終|最终|總體|总体|整體|整体)(?=\s*(?:判決|判决|裁決|裁决|結論|结论|判斷|判断|決定|决定|評判|评判|選擇|选择))", " final "),
    (r"(?:判決|判决|裁決|裁决|結論|结论|判斷|判断|決定|决定|評判|评判)", " verdict "),
    (r"選擇|选择", " choice "),
    (r"(verdict|choice)\s*(?:為|为)", r"\1 is "),
    (r"(?:獲勝者|获胜者|勝者|胜者|贏家|赢家|勝出者|胜出者)", " winner "),
    (r"(?:平局|平手|打平|不分上下|不相上下|難分伯仲|难分伯仲|旗鼓相當|旗鼓相当|勢均力敵|势均力敌|兩者相當|两者相当|"
     r"兩者一樣好|两者一样好|兩者同樣好|两者同样好|同樣好|同样好|一樣好|一样好|難分高下|难分高下|不分伯仲|半斤八兩|半斤八两)", " it's a tie "),
    (rf"({_LABEL})\s*(?:在|於|于)([^，,。.;；]{{1,12}}?)(?:上|方面)\s*(?:更|更加|較|较|要){_GOOD}", r" \1 is better in \2 "),
    (rf"({_LABEL})\s*(?:的)?\s*(?:表現|表现|回答|答案|整體上|整体上|總體上|总体上|整體|整体|總體|总体|明顯|明显|顯然|显然|"
     rf"略微|稍微|稍|略|要)\s*(?:是)?\s*(?:更|更加|較|较){_GOOD}", r" \1 is better "),
    (rf"{_NOT}\s*(?:是)?\s*(?:更|更加|較|较)?{_GOOD}(?:的)?", " is not better "),
    (rf"(?:是)?\s*(?:更|更加|較|较){_GOOD}(?:的)?(?:回答|回覆|回复|答案|輸出|输出|一方|一個|一个)?", " is better "),
    (r"勝出|胜出|獲勝|获胜|勝了|胜了|贏了|赢了", " wins "),
    (r"如果|假如|假設|假设|要是|若", " if "),
    (r"可能|也許|也许|或許|或许", " might "),
    (r"取決於|取决于|視情況|视情况", " depending on "),
    (r"或者|還是|还是|或", " or "),
    (r"但是|但|然而|不過|不过|可是", " but "),
    (r"因此|所以|綜上所述|综上所述|綜上|综上|總之|总之|總的來說|总的来说", " so "),
    (r"是", " is "),
    (r"。", ". "),
    (r"；", "; "),
    (r"、", ", "),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in _REWRITES)


def to_english(text: str) -> str:
    """``text`` with its Chinese verdict cues in English (unchanged if it holds no Chinese)."""
    if not _CJK.search(text):
        return text
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text
