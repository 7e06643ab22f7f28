// Every text of the UI in English and Russian, and the locale's formats for numbers, sizes, money and Moscow time.
// The language comes from <html lang> (the server picked it from the joycity_lang cookie or Accept-Language).
import { messages } from "./messages.js";

let current = document.documentElement.lang === "ru" ? "ru" : "en";

/** `en` or `ru`. */
export function language() { return current; }

/** Switches the language of everything rendered from now on. */
export function setLanguage(value) {
  current = value === "ru" ? "ru" : "en";
  document.documentElement.lang = current;
}

/** The text of `key` in the current language, `{name}` filled from `values`. A missing key shows as itself. */
export function t(key, values = {}) {
  const text = messages[current][key] ?? messages.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function locale() { return current === "ru" ? "ru-RU" : "en-GB"; }

/** 12 345 / 12,345. */
export function number(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
}

/** 1.5 MB / 1,5 МБ. */
export function bytes(value) {
  if (value === null || value === undefined) return "—";
  const units = current === "ru" ? ["Б", "КБ", "МБ", "ГБ", "ТБ"] : ["B", "KB", "MB", "GB", "TB"];
  let size = Number(value);
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
  return `${number(size, unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Roubles in the locale's form. */
export function money(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "RUB" }).format(value);
}

/** A moment (ms since 1970 or ISO text) in Moscow time, marked as such. */
export function moscowTime(value) {
  if (value === null || value === undefined || value === "") return "—";
  const date = typeof value === "number" ? new Date(value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const text = new Intl.DateTimeFormat(locale(), { timeZone: "Europe/Moscow", dateStyle: "medium", timeStyle: "medium" }).format(date);
  return `${text} ${t("time.msk")}`;
}

/** The time of day in Moscow, "10:32:56 MSK" / "10:32:56 МСК". */
export function moscowClock(value = Date.now()) {
  const text = new Intl.DateTimeFormat(locale(), { timeZone: "Europe/Moscow", timeStyle: "medium", hourCycle: "h23" }).format(new Date(value));
  return `${text} ${t("time.msk")}`;
}

/** How long ago `ms` was: "5 s ago" / "5 с назад". */
export function ago(ms) {
  if (!ms) return "—";
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return new Intl.RelativeTimeFormat(locale(), { numeric: "auto", style: "short" })
    .format(seconds < 120 ? -seconds : seconds < 7200 ? -Math.round(seconds / 60) : -Math.round(seconds / 3600), seconds < 120 ? "second" : seconds < 7200 ? "minute" : "hour");
}

/** A duration in seconds: "1 min 5 s" / "1 мин 5 с". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (!minutes) return t("time.sec", { s: whole });
  return whole % 60 ? t("time.minSec", { m: minutes, s: whole % 60 }) : t("time.min", { m: minutes });
}

/** This month in Moscow: "2026-12". */
export function moscowMonth(offset = 0) {
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Moscow", year: "numeric", month: "2-digit" }).format(new Date()).split("-").map(Number);
  const shifted = new Date(Date.UTC(year, month - 1 + offset, 1));
  return `${shifted.getUTCFullYear()}-${String(shifted.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** "2026-12" as "December 2026" / "декабрь 2026 г.". */
export function monthName(month) {
  const [year, number_] = String(month).split("-").map(Number);
  if (!year || !number_) return String(month);
  return new Intl.DateTimeFormat(locale(), { timeZone: "UTC", year: "numeric", month: "long" }).format(new Date(Date.UTC(year, number_ - 1, 1)));
}
