variable "name_prefix" {
  description = "Prefix of every resource name, as in the region module."
  type        = string
  default     = "shop"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix must be 2-12 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "regions" {
  description = "Every region of the platform, as the region module's `summary` outputs: its name, AWS region, VPC range, edge load balancer and the bucket its database nodes back up to."
  type = list(object({
    name             = string
    aws_region       = string
    vpc_cidr         = string
    edge_lb_dns_name = string
    edge_lb_zone_id  = string
    backups_bucket   = string
  }))

  validation {
    condition     = length(var.regions) >= 1
    error_message = "regions must list at least one region."
  }

  validation {
    condition     = length(distinct([for r in var.regions : r.name])) == length(var.regions)
    error_message = "regions must name each region once."
  }

  validation {
    condition     = length(distinct([for r in var.regions : r.aws_region])) == length(var.regions)
    error_message = "regions must each run in their own AWS region (latency routing and the core network have one entry per AWS region)."
  }

  validation {
    condition     = length(distinct([for r in var.regions : r.vpc_cidr])) == length(var.regions)
    error_message = "regions must each have their own VPC range: the core network routes between them."
  }
}

variable "domain_name" {
  description = "The shoppers' host name (the latency-routed record), for example shop.example.com. Each region also gets <region>.<domain_name>, which its health check probes."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as shop.example.com."
  }
}

variable "zone_id" {
  description = "The Route 53 hosted zone holding domain_name (created and delegated outside this module, with its DNSSEC and query logging)."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ."
  }
}

variable "database_name" {
  description = "The CockroachDB database of the platform."
  type        = string
  default     = "shop"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase SQL identifier."
  }
}

variable "primary_region" {
  description = "The database's primary region (where GLOBAL tables' leaseholders and unhomed rows live). Null: the first of regions."
  type        = string
  default     = null

  validation {
    condition     = var.primary_region == null || contains([for r in var.regions : r.name], coalesce(var.primary_region, "-"))
    error_message = "primary_region must be one of the regions."
  }
}

variable "survival_goal" {
  description = "What the database survives without losing availability: \"zone\" (writes commit within the shopper's region: low latency, data kept in its region) or \"region\" (every write also reaches other regions: slower writes, and rows leave their region)."
  type        = string
  default     = "zone"

  validation {
    condition     = contains(["zone", "region"], var.survival_goal)
    error_message = "survival_goal must be \"zone\" or \"region\"."
  }

  validation {
    condition     = var.survival_goal == "zone" || length(var.regions) >= 3
    error_message = "Surviving a region's loss needs at least three regions."
  }
}

variable "placement" {
  description = "Replica placement of REGIONAL BY ROW tables: \"restricted\" keeps every replica of a shopper's rows in the shopper's region (data residency: personal data stays in its region); \"default\" lets non-voting replicas in other regions serve follower reads."
  type        = string
  default     = "restricted"

  validation {
    condition     = contains(["default", "restricted"], var.placement)
    error_message = "placement must be \"default\" or \"restricted\"."
  }

  validation {
    condition     = var.placement == "default" || var.survival_goal == "zone"
    error_message = "Restricted placement keeps rows in their region, which surviving a region's loss cannot: use survival_goal \"zone\" with it."
  }
}

variable "backups" {
  description = "The database's backup schedule (cron expressions, UTC): an incremental backup with revision history every `incremental`, a full one every `full`; a restore can reach any moment they cover. The retention of the backup files is each region's `backup_retention_days`."
  type = object({
    incremental = optional(string, "*/15 * * * *")
    full        = optional(string, "@daily")
  })
  default = {}

  validation {
    condition     = alltrue([for c in [var.backups.incremental, var.backups.full] : can(regex("^(@(hourly|daily|weekly)|([0-9*/,-]+ ){4}[0-9*/,-]+)$", c))])
    error_message = "backups.incremental and backups.full must be cron expressions (five fields) or @hourly, @daily, @weekly."
  }

  validation {
    condition     = var.backups.incremental != var.backups.full
    error_message = "backups.incremental must run more often than backups.full."
  }
}

variable "asn_range" {
  description = "Private ASN range the core network's edges take their ASNs from."
  type        = string
  default     = "64512-64555"

  validation {
    condition     = can(regex("^6[45][0-9]{3}-6[45][0-9]{3}$", var.asn_range))
    error_message = "asn_range must be a private 16-bit ASN range such as 64512-64555."
  }
}

variable "tags" {
  description = "Tags added to every resource (besides Platform and ManagedBy, which the module sets)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:")])
    error_message = "tags must not use the reserved aws: prefix."
  }
}
